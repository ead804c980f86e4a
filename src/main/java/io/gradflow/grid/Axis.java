package io.gradflow.grid;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Every setting of a trial that a grid can vary. Each can be listed under {@code axes:} (several values, one
 * trial per value) or set once under {@code training:}; the defaults below apply otherwise.
 */
public enum Axis {
    ACTIVATION("relu"),
    INIT("he"),
    BATCHNORM("false"),
    RESIDUAL("false"),
    DEPTH("5"),
    WIDTH("64"),
    STEPS("200"),
    BATCH_SIZE("64"),
    OPTIMIZER("sgd"),
    LEARNING_RATE("0.01"),
    DTYPE("float"),
    CLIP("none"),
    /** task or data ({@link Parallelism}); the three after it apply to data trials only. */
    PARALLELISM("task"),
    WORKERS("0"),
    BATCH_SIZE_PER_WORKER("0"),
    AVERAGING_FREQUENCY("1"),
    PRETRAIN("none");

    private final String defaultText;

    Axis(String defaultText) {
        this.defaultText = defaultText;
    }

    /** The grid-file spelling. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value used when a grid neither lists nor sets this axis. */
    public Object defaultValue() {
        return parse(defaultText);
    }

    /**
     * Parses one value of this axis to its typed form (Activation, InitSpec, Boolean, Residual, Integer, Optimizer,
     * Double, Precision or ClipSpec). Errors name the axis, the value and what is allowed.
     */
    public Object parse(String text) {
        String t = text.trim();
        switch (this) {
            case ACTIVATION:
                return Activation.parse(t.toLowerCase(Locale.ROOT));
            case INIT:
                return InitSpec.parse(t);
            case RESIDUAL:
                return Residual.parse(t);
            case CLIP:
                return ClipSpec.parse(t);
            case PRETRAIN:
                return PretrainSpec.parse(t);
            case BATCHNORM:
                if (t.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (t.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException(key() + " '" + text + "' is not a boolean; choose one of true, false");
            case DEPTH:
                return intIn(t, 1, TrialConfig.MAX_DEPTH);
            case WIDTH:
                return intIn(t, 1, TrialConfig.MAX_WIDTH);
            case STEPS:
                return intIn(t, 1, TrialConfig.MAX_STEPS);
            case BATCH_SIZE:
                return intIn(t, 1, TrialConfig.MAX_BATCH);
            case OPTIMIZER:
                return Optimizer.parse(t.toLowerCase(Locale.ROOT));
            case LEARNING_RATE: {
                double v;
                try {
                    v = Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("learning_rate '" + text + "' is not a number; it must be above 0 and at most 10");
                }
                if (!(v > 0) || v > 10) {
                    throw new IllegalArgumentException("learning_rate " + t + " is not allowed; it must be above 0 and at most 10");
                }
                return v;
            }
            case DTYPE:
                return Precision.parse(t.toLowerCase(Locale.ROOT));
            case PARALLELISM:
                return Parallelism.Mode.parse(t.toLowerCase(Locale.ROOT));
            case WORKERS:
                return intIn(t, 0, Parallelism.MAX_WORKERS);
            case BATCH_SIZE_PER_WORKER:
                return intIn(t, 0, TrialConfig.MAX_BATCH);
            case AVERAGING_FREQUENCY:
                return intIn(t, 1, Parallelism.MAX_AVERAGING_FREQUENCY);
            default:
                throw new AssertionError(this);
        }
    }

    private Integer intIn(String t, int min, int max) {
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key() + " '" + t + "' is not a whole number; it must be between " + min + " and " + max);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(key() + " " + v + " is not allowed; it must be between " + min + " and " + max);
        }
        return (int) v;
    }

    /** Renders a typed value in its grid-file spelling (the inverse of {@link #parse}). */
    public static String render(Object value) {
        if (value instanceof Activation a) {
            return a.key();
        }
        if (value instanceof Optimizer o) {
            return o.key();
        }
        if (value instanceof Precision p) {
            return p.key();
        }
        if (value instanceof Parallelism.Mode m) {
            return m.key();
        }
        return String.valueOf(value);
    }

    public static Axis parseName(String text) {
        for (Axis a : values()) {
            if (a.key().equals(text)) {
                return a;
            }
        }
        throw new IllegalArgumentException("axis '" + text + "' is not known; choose one of " + allowed());
    }

    public static String allowed() {
        return Arrays.stream(values()).map(Axis::key).collect(Collectors.joining(", "));
    }
}
