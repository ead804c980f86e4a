package io.gradflow.grid;

import java.io.Serializable;
import java.util.Locale;

/**
 * Stopping doomed trials on their gradient flow ({@code health.stop_early: {after: S, window: K}}). From step S
 * on, a trial whose flow at each of K consecutive sampled steps (all at or after S) is beyond the same threshold
 * (below {@code vanishing_below}, or above {@code exploding_above}), and whose training loss has not improved over
 * those steps, stops at the K-th of them; see {@link io.gradflow.trial.EarlyStop}. Off by default.
 *
 * @param after          the first step whose sampled statistics may count toward the window (0 or more)
 * @param window         K, consecutive sampled steps (at least 2: the loss is compared between the first and the last)
 * @param minImprovement the loss has improved when the trailing 10-step mean at the window's last step is below
 *                       (1 − minImprovement) × the one at its first step; a share in [0, 1), default 0.01
 */
public record StopEarly(int after, int window, double minImprovement) implements Serializable {

    /** No early stopping: every trial runs all its steps. */
    public static final StopEarly OFF = new StopEarly(-1, 0, 0);

    public static final double DEFAULT_MIN_IMPROVEMENT = 0.01;

    public StopEarly {
        boolean off = after == -1 && window == 0;
        if (!off) {
            if (after < 0 || after > TrialConfig.MAX_STEPS) {
                throw new IllegalArgumentException("health.stop_early.after " + after + " is not allowed; it must be a step between 0 and " + TrialConfig.MAX_STEPS);
            }
            if (window < 2 || window > 1000) {
                throw new IllegalArgumentException("health.stop_early.window " + window + " is not allowed; it must be between 2 and 1000 sampled steps (the loss is compared between the window's first and last)");
            }
            if (!(minImprovement >= 0 && minImprovement < 1)) {
                throw new IllegalArgumentException("health.stop_early.min_improvement " + minImprovement + " is not allowed; it must be a share in [0, 1), e.g. 0.01");
            }
        }
    }

    public boolean isOff() {
        return window == 0;
    }

    /** The canonical form that enters the trial id when stopping is on (it changes what the trial computes). */
    public String key() {
        return isOff() ? "off" : String.format(Locale.ROOT, "after:%d,window:%d,min_improvement:%s", after, window,
                Double.toString(minImprovement));
    }

    @Override
    public String toString() {
        return isOff() ? "off" : "{after: " + after + ", window: " + window + ", min_improvement: " + minImprovement + "}";
    }
}
