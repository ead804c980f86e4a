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
 * and at most {@link #MAX_TASK_SECONDS} or {@link #MAX_TRIALS} trials, so the first tasks are large and the last
 * wave is made of small ones that finish close together. A shared task also carries at least a
 * {@code 1 / (TAIL_SHARES × slots)} share of the trials (within those caps): the cost model's fixed 0.5 s per trial
 * is far above what a trial of a few milliseconds takes, and without this floor the tail of such a sweep is dozens
 * of tasks of three or four trials whose part writes (30–60 ms each) cost more than their trials. With the floor,
 * the last wave can leave a slot idle for at most one such task, about 1/64 of a slot's share of the sweep.
 */
public final class TaskPlan {

    /** Estimated trial time from which a trial runs alone in its task. */
    static final double LONG_SECONDS = 5.0;
    /** Smallest estimated time of a shared task. */
    static final double MIN_TASK_SECONDS = 2.0;
    /** Largest estimated time of a shared task: bounds what a crash or a retry costs. */
    static final double MAX_TASK_SECONDS = 300.0;
    /** Most trials one task carries: bounds its part file and its memory. */
    static final int MAX_TRIALS = 2_000;
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
        int s = Math.max(1, slots);
        double remaining = 0;
        for (double x : seconds) {
            remaining += x;
        }
        List<int[]> tasks = new ArrayList<>();
        int minTrials = (int) Math.ceil(seconds.length / (double) (TAIL_SHARES * s));
        int i = 0;
        while (i < seconds.length) {
            if (seconds[i] >= LONG_SECONDS) {
                remaining -= seconds[i];
                tasks.add(new int[]{i, ++i});
                continue;
            }
            double target = Math.min(MAX_TASK_SECONDS, Math.max(MIN_TASK_SECONDS, remaining / (SHARES_PER_SLOT * s)));
            int start = i;
            double cost = 0;
            while (i < seconds.length && seconds[i] < LONG_SECONDS && i - start < MAX_TRIALS
                    && (cost == 0 || cost + seconds[i] <= target
                    || (i - start < minTrials && cost + seconds[i] <= MAX_TASK_SECONDS))) {
                cost += seconds[i++];
            }
            remaining -= cost;
            tasks.add(new int[]{start, i});
        }
        return tasks;
    }
}
