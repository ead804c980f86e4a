package io.gradflow.grid;

import java.io.Serializable;

/**
 * Where a trial's verdict switches from HEALTHY. A trial is VANISHING when its flow_log10 of δ (at
 * initialization or averaged over training) is below {@code vanishingBelow} decades, EXPLODING when above
 * {@code explodingAbove} decades or when a weight gradient has non-finite entries.
 *
 * @param vanishingBelow a negative number of decades, e.g. -2 (the input-side block gets 1% of the output side's δ)
 * @param explodingAbove a positive number of decades, e.g. 2
 * @param stopEarly      whether and when a trial whose flow stays beyond a threshold stops ({@link StopEarly#OFF}:
 *                       never). Unlike the thresholds it changes what the trial computes, so when on it is part of
 *                       the trial's canonical configuration and id.
 */
public record HealthThresholds(double vanishingBelow, double explodingAbove, StopEarly stopEarly) implements Serializable {

    public HealthThresholds {
        // a journal written before stop_early existed deserializes it as null: those trials ran without it
        stopEarly = stopEarly == null ? StopEarly.OFF : stopEarly;
        if (!(vanishingBelow < 0) || Double.isInfinite(vanishingBelow)) {
            throw new IllegalArgumentException("health.vanishing_below " + vanishingBelow + " is not allowed; it must be a negative number of decades, e.g. -2");
        }
        if (!(explodingAbove > 0) || Double.isInfinite(explodingAbove)) {
            throw new IllegalArgumentException("health.exploding_above " + explodingAbove + " is not allowed; it must be a positive number of decades, e.g. 2");
        }
    }

    /** Thresholds without early stopping. */
    public HealthThresholds(double vanishingBelow, double explodingAbove) {
        this(vanishingBelow, explodingAbove, StopEarly.OFF);
    }

    public static HealthThresholds defaults() {
        return new HealthThresholds(-2.0, 2.0);
    }
}
