package io.gradflow.analysis;

/**
 * The per-trial numbers that are aggregated over seeds ({@code comparison}) and compared in pairs
 * ({@code effects}). {@link #column()} is the {@code trials} column each one comes from.
 */
public enum Outcome {
    FLOW_DELTA_INIT("flow_log10_delta_init", "decades", true, true),
    FLOW_DELTA_TRAIN("flow_log10_delta_train", "decades", true, true),
    FLOW_GRAD_INIT("flow_log10_grad_init", "decades", true, true),
    FLOW_GRAD_TRAIN("flow_log10_grad_train", "decades", true, true),
    DELTA_SLOPE_INIT("delta_slope_init", "decades per block", false, true),
    DELTA_SLOPE_TRAIN("delta_slope_train", "decades per block", false, true),
    FINAL_TRAIN_LOSS("final_train_loss", "cross-entropy", true, false),
    TEST_ACCURACY("test_accuracy", "share", true, false),
    STEPS_TO_TARGET("steps_to_target", "steps", true, false),
    /** Share of steps the clipping rule changed: in comparison to read beside the flows, not an effect to rank. */
    CLIPPED_SHARE("clipped_share", "share", false, false);

    private final String column;
    private final String unit;
    private final boolean key;
    private final boolean flow;

    Outcome(String column, String unit, boolean key, boolean flow) {
        this.column = column;
        this.unit = unit;
        this.key = key;
        this.flow = flow;
    }

    /** The {@code trials} column, also the prefix of the {@code comparison} columns and the {@code effects} outcome name. */
    public String column() {
        return column;
    }

    public String unit() {
        return unit;
    }

    /** Whether {@code effects} has rows for it (the slopes are left out: the flows say the same per network). */
    public boolean key() {
        return key;
    }

    /** A gradient-flow measure (log10 ratios and slopes) rather than a training result. */
    public boolean flow() {
        return flow;
    }

    /** Whether the outcome has a bounded range (a share), so that intervals are clipped to it where shown. */
    public boolean bounded() {
        return this == TEST_ACCURACY;
    }

    /** The smallest value the outcome can take; −∞ when unbounded. */
    public double lowest() {
        return bounded() ? 0 : Double.NEGATIVE_INFINITY;
    }

    /** The largest value the outcome can take; +∞ when unbounded. */
    public double highest() {
        return bounded() ? 1 : Double.POSITIVE_INFINITY;
    }

    public static Outcome byColumn(String column) {
        for (Outcome o : values()) {
            if (o.column.equals(column)) {
                return o;
            }
        }
        throw new IllegalArgumentException("outcome '" + column + "' is not known");
    }
}
