package io.gradflow.spark;

import java.util.ArrayList;
import java.util.List;

/**
 * How trials, already in longest-first order, are grouped into Spark tasks: a pure function of their estimated
 * times and the number of task slots. A trial estimated at {@link #LONG_SECONDS} or more gets a task of its own, so
 * the long trials keep their longest-first start and a crash loses one of them at most. Shorter trials share tasks,
 * because a task costs about 15 ms of scheduling, serialization and result handling that a trial of a few
 * milliseconds cannot carry, and because each task commits one part file: fewer, larger parts mean fewer file
 * system requests. Their tasks shrink as the sweep goes on (guided self-scheduling): each takes about a
 * {@code 1 / (4 × slots)} share of the estimated time still to be handed out, at least {@link #MIN_TASK_SECONDS}
 * and at most {@link #MAX_TASK_SECONDS}, {@link #MAX_TRIALS} trials or a slot's share of the whole plan, so the first tasks are large and the last
 * wave is made of small ones that finish close together.
 *
 * <p>Two floors keep the tail from turning into many tiny parts. A shared task of short trials (estimated at
 * {@link #SHORT_SECONDS}, 20 ms, or less) carries at least {@link #MIN_TRIALS} of them, unless that is more than
 * {@link #FLOOR_SECONDS} or a slot's share of the sweep, and a task of a hundred or more that would leave fewer
 * than a hundred short trials behind takes them too, so that short trials make at most one part file per
 * {@link #MIN_TRIALS} trials once a sweep has a hundred per slot (a hundred trials of 5-20 ms take at least five times what
 * committing their part costs, 30-100 ms); the last wave can then leave a slot idle for one such
 * task, at most about 2 × {@link #FLOOR_SECONDS} of estimate. And a shared task carries at least a
 * {@code 1 / (TAIL_SHARES × slots)} share of the trials (within the caps), which bounds the tail's part count for
 * trials too long for the first floor.
 *
 * <p>The plan is computed over runs of equal estimates ({@link #planRuns}): a grid's trials fall into a few cost
 * classes, so the driver can plan a million trials from a handful of (estimate, count) pairs without an array per
 * trial. {@link #plan} is the same function over one estimate per trial.
 */
public final class TaskPlan {

    /** Estimated trial time from which a trial runs alone in its task. */
    static final double LONG_SECONDS = 5.0;
    /** Smallest estimated time of a shared task, floors apart: a task's overhead (15 ms, a part's 30-100 ms) is a tenth at most. */
    static final double MIN_TASK_SECONDS = 1.0;
    /** Largest estimated time of a shared task: bounds what a crash or a retry costs. */
    static final double MAX_TASK_SECONDS = 300.0;
    /** Most trials one task carries: bounds its part file and its memory. */
    static final int MAX_TRIALS = 2_000;
    /** Trials a shared task of short trials carries at least: at most one part file per this many trials. */
    static final int MIN_TRIALS = 100;
    /** Estimated time up to which a shared task of short trials is filled to {@link #MIN_TRIALS} trials. */
    static final double FLOOR_SECONDS = 2.0;
    /** A trial estimated at this or less is short: {@link #MIN_TRIALS} of them fit in {@link #FLOOR_SECONDS}. */
    static final double SHORT_SECONDS = FLOOR_SECONDS / MIN_TRIALS;
    private static final int SHARES_PER_SLOT = 4;
    /** A shared task carries at least 1 / (TAIL_SHARES × slots) of the trials. */
    static final int TAIL_SHARES = 64;

    private TaskPlan() {
    }

    /**
     * Groups {@code seconds.length} trials, in the given order, into tasks.
     *
     * @param seconds estimated time of each trial, in the order they should start (longest first)
     * @param slots   task slots of the cluster (at least 1)
     * @return the tasks as {start, end} index ranges over {@code seconds}, in order, covering every trial once
     */
    public static List<int[]> plan(double[] seconds, int slots) {
        // Run-length encode: the same function as planRuns, so both paths of a sweep plan alike.
        List<Double> runSeconds = new ArrayList<>();
        List<Integer> runCounts = new ArrayList<>();
        for (double x : seconds) {
            int last = runSeconds.size() - 1;
            if (last >= 0 && Double.compare(runSeconds.get(last), x) == 0) {
                runCounts.set(last, runCounts.get(last) + 1);
            } else {
                runSeconds.add(x);
                runCounts.add(1);
            }
        }
        return planRuns(runSeconds.stream().mapToDouble(Double::doubleValue).toArray(),
                runCounts.stream().mapToInt(Integer::intValue).toArray(), slots);
    }

    /**
     * Groups trials given as runs of equal estimates into tasks: run {@code r} is {@code counts[r]} trials of
     * {@code seconds[r]} each, the runs in the order they should start (longest first). Driver memory is
     * proportional to the runs and the tasks, not to the trials.
     *
     * @param seconds estimated time of one trial of each run
     * @param counts  trials in each run (each at least 0)
     * @param slots   task slots of the cluster (at least 1)
     * @return the tasks as {start, end} ranges over the trials' positions (run after run), covering each once
     */
    public static List<int[]> planRuns(double[] seconds, int[] counts, int slots) {
        if (seconds.length != counts.length) {
            throw new IllegalArgumentException("the plan needs one count per estimate: " + seconds.length
                    + " estimates, " + counts.length + " counts");
        }
        int s = Math.max(1, slots);
        long total = 0;
        double remaining = 0;
        for (int r = 0; r < counts.length; r++) {
            if (counts[r] < 0) {
                throw new IllegalArgumentException("run " + r + " of the plan has " + counts[r] + " trials; it must have 0 or more");
            }
            total += counts[r];
            for (int k = 0; k < counts[r]; k++) {
                remaining += seconds[r]; // summed trial by trial, as the estimates of one trial each would be
            }
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a plan holds at most " + (Integer.MAX_VALUE - 8) + " trials, not " + total);
        }
        int n = (int) total;
        // A slot's share of the plan, a hair over so that summing n / slots equal estimates one by one (rounding up
        // or down) still fits them: else a small sweep ends with a task of one or two trials.
        double share = remaining / s * (1 + 1e-9);
        Cursor c = new Cursor(seconds, counts);
        List<int[]> tasks = new ArrayList<>();
        int minTrials = (int) Math.ceil(n / (double) (TAIL_SHARES * s));
        int i = 0;
        while (i < n) {
            double first = c.at(i);
            if (first >= LONG_SECONDS) {
                remaining -= first;
                tasks.add(new int[]{i, ++i});
                continue;
            }
            // Never more than a slot's share of the whole plan, so that a small sweep spreads over the slots.
            double target = Math.min(share,
                    Math.min(MAX_TASK_SECONDS, Math.max(MIN_TASK_SECONDS, remaining / (SHARES_PER_SLOT * s))));
            // The short-trial floor never takes more than a slot's share of the whole plan: a small sweep still
            // spreads over the slots (while the tail of a large one keeps its hundred trials per part).
            double floor = Math.min(FLOOR_SECONDS, share);
            int start = i;
            double cost = 0;
            while (i < n && i - start < MAX_TRIALS) {
                double x = c.at(i);
                int taken = i - start;
                boolean fits = x < LONG_SECONDS && (cost == 0 || cost + x <= target
                        || (taken < minTrials && cost + x <= MAX_TASK_SECONDS)
                        || (taken < MIN_TRIALS && x <= SHORT_SECONDS && cost + x <= floor));
                if (!fits) {
                    break;
                }
                cost += x;
                i++;
            }
            // A task of short trials (a hundred or more) that would leave fewer than a hundred behind takes them
            // rather than leave a small last part; they are short, so it grows by at most one floor's time.
            int rest = n - i;
            if (rest > 0 && rest < MIN_TRIALS && i - start >= MIN_TRIALS && i - start + rest <= MAX_TRIALS
                    && c.at(i) <= SHORT_SECONDS) {
                double tail = 0;
                for (int k = i; k < n && tail <= FLOOR_SECONDS; k++) {
                    tail += c.at(k);
                }
                if (tail <= FLOOR_SECONDS) {
                    for (; i < n; i++) {
                        cost += c.at(i);
                    }
                }
            }
            remaining -= cost;
            tasks.add(new int[]{start, i});
        }
        return tasks;
    }

    /** The estimate at a position of the runs, for positions read in non-decreasing order (and a short look-ahead). */
    private static final class Cursor {
        private final double[] seconds;
        private final int[] counts;
        private int run;
        private long runStart;

        Cursor(double[] seconds, int[] counts) {
            this.seconds = seconds;
            this.counts = counts;
        }

        double at(long position) {
            if (position < runStart) {
                run = 0;
                runStart = 0;
            }
            while (position >= runStart + counts[run]) {
                runStart += counts[run];
                run++;
            }
            return seconds[run];
        }
    }
}
