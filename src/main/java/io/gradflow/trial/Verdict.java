package io.gradflow.trial;

import io.gradflow.grid.HealthThresholds;

/**
 * A trial's health. FAILED: the trial threw. DIVERGED: the training loss became NaN or infinite. EXPLODING: a
 * weight gradient had non-finite entries, or the flow of δ (at initialization or averaged over training) was
 * above the exploding threshold. VANISHING: the flow was below the vanishing threshold, or the gradient underflowed
 * to exactly 0 before it reached the first block (see {@link Stats#flowUnderflow}). HEALTHY otherwise.
 */
public enum Verdict {
    HEALTHY, VANISHING, EXPLODING, DIVERGED, FAILED;

    /**
     * Judges a trial that ran to the end without a non-finite loss. NaN flows (e.g. one block) do not count; an
     * underflow, whose flow is NaN because it is below the representable range, counts as vanishing.
     */
    public static Verdict judge(double flowInit, double flowTrain, long nonFiniteGradients, boolean underflow,
                                HealthThresholds h) {
        if (nonFiniteGradients > 0 || flowInit > h.explodingAbove() || flowTrain > h.explodingAbove()) {
            return EXPLODING;
        }
        if (underflow || flowInit < h.vanishingBelow() || flowTrain < h.vanishingBelow()) {
            return VANISHING;
        }
        return HEALTHY;
    }
}
