package io.gradflow.grid;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The optimizers a trial can train with: plain SGD, SGD with Nesterov momentum 0.9, and Adam. */
public enum Optimizer {
    SGD, MOMENTUM, ADAM;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optimizer parse(String text) {
        for (Optimizer o : values()) {
            if (o.key().equals(text)) {
                return o;
            }
        }
        throw new IllegalArgumentException("optimizer '" + text + "' is not supported; choose one of " + allowed());
    }

    public static String allowed() {
        return Arrays.stream(values()).map(Optimizer::key).collect(Collectors.joining(", "));
    }
}
