package io.gradflow.grid;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The hidden-block activations a grid can ask for. The mapping to DL4J lives in the model package; this enum
 * only knows the names and which statistics make sense for each function.
 */
public enum Activation {
    SIGMOID, TANH, RELU, LEAKYRELU, ELU, GELU, IDENTITY, SOFTSIGN, SELU;

    /** The spelling used in grid files and in result rows. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * True for functions whose units can die (output at or below zero for every example): the ReLU family.
     * The dead fraction is only reported for these.
     */
    public boolean canDie() {
        return this == RELU || this == LEAKYRELU || this == ELU || this == GELU || this == SELU;
    }

    /** True for bounded functions with flat tails; the saturated fraction is only reported for these. */
    public boolean canSaturate() {
        return this == SIGMOID || this == TANH || this == SOFTSIGN;
    }

    public static Activation parse(String text) {
        for (Activation a : values()) {
            if (a.key().equals(text)) {
                return a;
            }
        }
        throw new IllegalArgumentException("activation '" + text + "' is not supported; choose one of " + allowed());
    }

    public static String allowed() {
        return Arrays.stream(values()).map(Activation::key).collect(Collectors.joining(", "));
    }
}
