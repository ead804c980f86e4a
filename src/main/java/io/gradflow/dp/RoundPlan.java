package io.gradflow.dp;

import io.gradflow.grid.TrialConfig;

import java.util.Arrays;

/**
 * The schedule of a data-parallel trial, in averaging rounds. A round is {@code averagingFrequency} local steps of
 * every worker followed by one averaging; the trial's {@code steps} (local steps per worker, i.e. global minibatches)
 * are rounded up to whole rounds. Statistics are sampled on the trial's usual schedule laid over the rounds (log2:
 * rounds 0, 1, 2, 4, … and the last), and recorded at the global step the round starts at, so step 0 is the
 * initial network, as for a task trial.
 *
 * @param rounds             averaging rounds the trial runs
 * @param averagingFrequency local steps per round
 * @param sampledRounds      rounds measured before they run, ascending
 */
public record RoundPlan(int rounds, int averagingFrequency, int[] sampledRounds) {

    public RoundPlan {
        if (rounds < 1 || averagingFrequency < 1) {
            throw new IllegalArgumentException("a plan needs at least one round of at least one step, not " + rounds
                    + " rounds of " + averagingFrequency);
        }
        sampledRounds = sampledRounds.clone();
    }

    /** The plan of a data trial. */
    public static RoundPlan of(TrialConfig c) {
        int f = c.parallelism().averagingFrequency();
        int rounds = (int) ((c.steps() + (long) f - 1) / f);
        return new RoundPlan(rounds, f, c.schedule().steps(rounds));
    }

    /** The global step (minibatches per worker so far) at which round {@code round} starts. */
    public int stepOf(int round) {
        return round * averagingFrequency;
    }

    /** Local steps of every worker once all rounds have run. */
    public int steps() {
        return rounds * averagingFrequency;
    }

    public boolean sampled(int round) {
        return Arrays.binarySearch(sampledRounds, round) >= 0;
    }

    @Override
    public int[] sampledRounds() {
        return sampledRounds.clone();
    }

    /**
     * The share of a round's wall time that is not the workers' fitting: broadcasting the network, scheduling the
     * tasks, shipping and averaging the parameters. The workers fit concurrently, so their fitting takes the mean of
     * their summed fit times (the slowest worker's would be more exact, and DL4J's stats do not say which is which).
     *
     * @param roundWallMs     the driver's wall time of the round's fit call
     * @param workerFitMsSum  the workers' fit times, summed over the workers
     * @param workers         workers of the round
     */
    public static long communicationMs(long roundWallMs, long workerFitMsSum, int workers) {
        return Math.max(0, roundWallMs - workerFitMsSum / Math.max(1, workers));
    }
}
