package io.gradflow.spark;

import io.gradflow.data.DatasetSpec;
import io.gradflow.grid.Axis;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.MemoryEstimate;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a grid will cost before anything runs: the trial count from the axis sizes (never by expanding the
 * grid), the task time summed over trials, and the largest off-heap memory one task needs. The time comes from
 * the cost model the scheduler orders tasks by ({@link TrialConfig#estimatedCost()}, forward multiply-adds),
 * calibrated on this project's measurements (BENCHMARKS.md, one thread, float32): 5 ms per trial (a one-block,
 * one-step trial takes 4-7 ms once warm, network and statistics included), 0.22 ms per step and 0.037 ms per block
 * and step of fixed work (the updater, the output layer, the blocks' loops, the statistics and loss curve at sampled
 * steps), and 0.11 ns per multiply-add unit: fitted on 2026-12-07 to the remedies grid's first 102 trials on
 * {@code local[2]} (depths 2-50, 0.17-3.0 s each; the estimate is within 10% of the plain ones and 35% under the
 * deepest batch-norm ones) and checked on the quick grid (4.6 s estimated, 4.8-5.5 s measured on {@code local[1]}),
 * with OpenBLAS's AVX-512 kernels; the per-step terms were 0.5 and 0.4 ms before the direct step and those kernels.
 * It is a rough guide for sizing a sweep and for grouping short trials into tasks ({@link TaskPlan}), not a promise:
 * within about a factor of two of the trial times measured, on a machine like this project's.
 *
 * @param trials      the exact number of trials, or the full cross product when {@code exact} is false
 * @param exact       false when exclusions name too many axes to count them without expanding
 * @param taskSeconds the summed estimated time of every trial on one core; NaN when not estimated
 * @param peakBytes   the largest estimated off-heap memory of one trial; 0 when not estimated
 * @param dataKnown   false for file datasets, whose size is only known once read (not included in peakBytes)
 */
public record GridEstimate(long trials, boolean exact, double taskSeconds, long peakBytes, boolean dataKnown) {

    /** Trials a sweep runs without {@code --max-trials}: beyond this a typo in a grid costs days of compute. */
    public static final long DEFAULT_MAX_TRIALS = 100_000;

    static final double SECONDS_PER_TRIAL = 0.005;
    static final double SECONDS_PER_STEP = 0.22e-3;
    static final double SECONDS_PER_BLOCK_STEP = 0.037e-3;
    static final double SECONDS_PER_COST_UNIT = 0.11e-9;

    /**
     * The axes that change a trial's estimated time or memory; the others only multiply the count. Trials that share
     * these axes' values share their estimate: the cost classes of a distributed grid ({@link GridSlices}).
     */
    static final Set<Axis> SHAPE = EnumSet.of(Axis.WIDTH, Axis.DEPTH, Axis.STEPS, Axis.BATCH_SIZE,
            Axis.BATCHNORM, Axis.RESIDUAL, Axis.OPTIMIZER, Axis.DTYPE, Axis.PRETRAIN);

    /** Estimates a validated grid; pure, needs no Spark and expands nothing. */
    public static GridEstimate of(GridSpec spec) {
        DatasetSpec d = spec.dataset();
        boolean dataKnown = !d.kind().isFile();
        int features = dataKnown ? d.generatedFeatures() : 1;
        int classes = dataKnown ? d.classes() : 2;
        int test = dataKnown ? (int) Math.max(1, Math.round(d.testFraction() * d.samples())) : 0;
        int train = dataKnown ? d.samples() - test : 0;
        long[] count = {0};
        double[] seconds = {0};
        long[] peak = {0};
        boolean walked = Grid.forEachShape(spec, SHAPE, (t, weight) -> {
            count[0] += weight;
            seconds[0] += weight * seconds(t);
            peak[0] = Math.max(peak[0], MemoryEstimate.bytes(t, features, classes, train, test));
        });
        if (walked) {
            return new GridEstimate(count[0], true, seconds[0], peak[0], dataKnown);
        }
        // Too many distinct shapes to price one by one: still count exactly where the exclusions allow.
        boolean exact = Grid.forEachShape(spec, Set.of(), (t, weight) -> count[0] += weight);
        return new GridEstimate(exact ? count[0] : spec.fullSize(), exact, Double.NaN, 0, dataKnown);
    }

    /** The estimated time of one trial on one core, in seconds. */
    static double seconds(TrialConfig t) {
        return SECONDS_PER_TRIAL + (double) t.steps() * SECONDS_PER_STEP
                + (double) t.steps() * t.depth() * SECONDS_PER_BLOCK_STEP
                + t.estimatedCost() * SECONDS_PER_COST_UNIT;
    }

    /** One line for the terminal, e.g. {@code estimated cost: about 7 task-minutes, peak memory per task about 12 MiB}. */
    public String costLine() {
        String cost = Double.isNaN(taskSeconds) ? "not estimated (too many distinct network shapes)"
                : "about " + duration(taskSeconds) + " of task time (one core each)";
        String memory = peakBytes == 0 ? "" : String.format(Locale.ROOT, ", peak memory per task about %s off-heap%s",
                bytes(peakBytes), dataKnown ? "" : " plus the data file");
        return "estimated cost: " + cost + memory;
    }

    static String duration(double seconds) {
        if (seconds < 120) {
            long s = Math.max(1, Math.round(seconds));
            return s + (s == 1 ? " task-second" : " task-seconds");
        }
        if (seconds < 2 * 3600) {
            return String.format(Locale.ROOT, "%.0f task-minutes", seconds / 60);
        }
        return String.format(Locale.ROOT, "%.0f task-hours", seconds / 3600);
    }

    static String bytes(long b) {
        if (b >= 10L << 30) {
            return String.format(Locale.ROOT, "%.0f GiB", b / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.0f MiB", Math.max(1, b / (double) (1L << 20)));
    }
}
