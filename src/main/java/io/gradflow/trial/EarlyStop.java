package io.gradflow.trial;

import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.StopEarly;

import java.util.List;
import java.util.Optional;

/**
 * The early-stopping rule of {@code health.stop_early}, as a pure function over the sampled steps so far. A trial
 * stops at a sampled step when that step and the K − 1 sampled steps before it are all at or after {@code after},
 * all on the same side of the health thresholds (each flow below {@code vanishing_below}, or each above
 * {@code exploding_above}), and the training loss has not improved over them: the trailing 10-step mean minibatch
 * loss at the last of them is not below (1 − {@code min_improvement}) times the one at the first. The verdict of a
 * stopped trial is that side.
 */
public final class EarlyStop {

    /** Below the vanishing threshold, within both, above the exploding threshold. */
    public static final int VANISHING = -1;
    public static final int WITHIN = 0;
    public static final int EXPLODING = 1;

    private EarlyStop() {
    }

    /**
     * One sampled step as the rule sees it.
     *
     * @param step         the training step
     * @param side         {@link #VANISHING}, {@link #WITHIN} or {@link #EXPLODING}, from {@link #side}
     * @param trailingLoss the mean minibatch loss over the 10 steps up to and including {@code step}
     */
    public record Sample(int step, int side, double trailingLoss) {
    }

    /**
     * Which side of the thresholds one sampled step's flow is on: an underflow (the flow is below the dtype's range)
     * is vanishing and a non-finite weight gradient exploding, as in {@link Verdict#judge}; an undefined flow (one
     * block) is within.
     */
    public static int side(double flow, boolean underflow, long nonFiniteGradients, HealthThresholds h) {
        if (nonFiniteGradients > 0 || flow > h.explodingAbove()) {
            return EXPLODING;
        }
        if (underflow || flow < h.vanishingBelow()) {
            return VANISHING;
        }
        return WITHIN;
    }

    /**
     * Whether the trial stops at the last of {@code sampled} (the sampled steps so far, in order), and why.
     *
     * @return VANISHING or EXPLODING when it stops, empty when it trains on (always empty when stopping is off)
     */
    public static Optional<Verdict> decide(List<Sample> sampled, HealthThresholds h) {
        StopEarly s = h.stopEarly();
        int k = s.window();
        if (s.isOff() || sampled.size() < k) {
            return Optional.empty();
        }
        Sample first = sampled.get(sampled.size() - k);
        Sample last = sampled.get(sampled.size() - 1);
        if (first.step() < s.after() || last.side() == WITHIN) {
            return Optional.empty();
        }
        for (int i = sampled.size() - k; i < sampled.size(); i++) {
            if (sampled.get(i).side() != last.side()) {
                return Optional.empty();
            }
        }
        boolean improved = last.trailingLoss() < (1 - s.minImprovement()) * first.trailingLoss();
        if (improved || !Double.isFinite(last.trailingLoss()) || !Double.isFinite(first.trailingLoss())) {
            return Optional.empty();
        }
        return Optional.of(last.side() == VANISHING ? Verdict.VANISHING : Verdict.EXPLODING);
    }

    /** The mean of {@code losses[max(0, step − window + 1) .. step]}. */
    public static double trailingMean(double[] losses, int step, int window) {
        int from = Math.max(0, step - window + 1);
        double sum = 0;
        for (int i = from; i <= step; i++) {
            sum += losses[i];
        }
        return sum / (step - from + 1);
    }
}
