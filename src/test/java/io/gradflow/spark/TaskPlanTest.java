package io.gradflow.spark;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TaskPlanTest {

    private static void coversInOrder(List<int[]> plan, int n) {
        int next = 0;
        for (int[] t : plan) {
            assertThat(t[0]).isEqualTo(next);
            assertThat(t[1]).isGreaterThan(t[0]);
            next = t[1];
        }
        assertThat(next).isEqualTo(n);
    }

    @Test
    void longTrialsRunAloneInTheGivenOrder() {
        double[] s = {60, 30, 10, 5};
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, 4);
        assertThat(plan).hasSize(4);
    }

    @Test
    void shortTrialsShareTasksThatShrinkTowardsTheEnd() {
        double[] s = new double[100_000];
        Arrays.fill(s, 0.5);
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, s.length);
        int first = plan.get(0)[1] - plan.get(0)[0];
        // 300 s of estimate per task: the cap, and also the tail floor (100,000 / 128 trials = 391 s) capped
        assertThat(first).isEqualTo(600);
        // few tasks (few part files): far under one per 100 trials
        assertThat(plan.size()).isLessThan(s.length / 300);
        double[] fewer = new double[2_000];
        Arrays.fill(fewer, 0.5);
        List<int[]> small = TaskPlan.plan(fewer, 2);
        coversInOrder(small, fewer.length);
        // 2,000 trials: 1000 s / (4 × 2) = 125 s (250 trials) per task at first, down to the tail floor of
        // ceil(2000 / 128) = 16 trials
        assertThat(small.get(0)[1] - small.get(0)[0]).isEqualTo(250);
        assertThat(small.get(small.size() - 1)[1] - small.get(small.size() - 1)[0]).isLessThanOrEqualTo(16);
        plan = small;
        for (int i = 1; i < plan.size(); i++) {
            int prev = plan.get(i - 1)[1] - plan.get(i - 1)[0];
            int cur = plan.get(i)[1] - plan.get(i)[0];
            assertThat(cur).as("task %d", i).isLessThanOrEqualTo(prev);
        }
    }

    @Test
    void theLastWaveHoldsAtMostAQuarterSlotOfWorkPerTask() {
        double[] s = new double[400];
        Arrays.fill(s, 1.0);
        List<int[]> plan = TaskPlan.plan(s, 4);
        coversInOrder(plan, s.length);
        // the tasks handed out once less than one slot's share is left are each at most a quarter of what remains
        double remaining = 400;
        for (int[] t : plan) {
            double cost = t[1] - t[0];
            // or the 1 s minimum, or the tail floor (ceil(400 / 256) = 2 trials); 1 s trials are not short
            assertThat(cost).isLessThanOrEqualTo(Math.max(Math.max(TaskPlan.MIN_TASK_SECONDS, 2.0), remaining / 16));
            remaining -= cost;
        }
    }

    @Test
    void tinyTrialsKeepATailFloorOfOneSixtyFourthOfASlotsShare() {
        double[] s = new double[1_000];
        Arrays.fill(s, 0.5);
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, s.length);
        // every task but the very last holds at least ceil(1000 / 128) = 8 trials: no tail of three-trial tasks
        for (int i = 0; i < plan.size() - 1; i++) {
            assertThat(plan.get(i)[1] - plan.get(i)[0]).as("task %d", i).isGreaterThanOrEqualTo(8);
        }
        assertThat(plan.size()).isLessThan(30);
        // a handful of trials is unaffected: one slot's floor is less than one trial
        double[] few = new double[24];
        Arrays.fill(few, 0.7);
        assertThat(TaskPlan.plan(few, 2)).allMatch(t -> t[1] - t[0] <= 3);
    }

    /** A near-zero trial as the cost model prices it: depth 1, width 2, one step. */
    private static final double NEAR_ZERO = GridEstimate.SECONDS_PER_TRIAL + GridEstimate.SECONDS_PER_STEP
            + GridEstimate.SECONDS_PER_BLOCK_STEP;

    @Test
    void nearZeroTrialsMakeAtMostOnePartPerHundredTrialsAndStillSeveralTasksPerSlot() {
        for (int n : new int[]{200, 999, 1_000, 1_234, 10_000, 100_000}) {
            double[] s = new double[n];
            Arrays.fill(s, NEAR_ZERO);
            List<int[]> plan = TaskPlan.plan(s, 2);
            coversInOrder(plan, n);
            assertThat(plan).as("%d trials", n).allMatch(t -> t[1] - t[0] >= TaskPlan.MIN_TRIALS);
            assertThat(plan.size()).as("%d trials", n).isLessThanOrEqualTo(n / TaskPlan.MIN_TRIALS);
        }
        // 1,000 such trials (about 6 s of estimate) still make at least two tasks per slot
        double[] s = new double[1_000];
        Arrays.fill(s, NEAR_ZERO);
        assertThat(TaskPlan.plan(s, 2).size()).isBetween(4, 10);
        // fewer than a hundred per slot: one task per slot, so that no slot idles through a small sweep
        for (int n : new int[]{10, 100, 150}) {
            for (double x : new double[]{NEAR_ZERO, NEAR_ZERO + 1.234e-9, 0.0071, 0.013}) {
                double[] small = new double[n];
                Arrays.fill(small, x);
                assertThat(TaskPlan.plan(small, 2)).as("%d trials of %s s", n, x).hasSize(2);
            }
        }
    }

    @Test
    void shortTrialsGoAHundredToATaskWhereTheGuidedShareWouldGiveFewer() {
        // 15 ms trials: the guided share shrinks to the 1 s minimum (66 trials); the floor keeps 100 per task
        double[] s = new double[3_000];
        Arrays.fill(s, 0.015);
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, s.length);
        assertThat(plan).allMatch(t -> t[1] - t[0] >= TaskPlan.MIN_TRIALS);
        assertThat(plan.get(plan.size() - 2)[1] - plan.get(plan.size() - 2)[0]).isEqualTo(TaskPlan.MIN_TRIALS);
        assertThat(plan.size()).isLessThanOrEqualTo(s.length / TaskPlan.MIN_TRIALS);
        // ... but not beyond a slot's share of the sweep: 300 of them on 16 slots are 0.28 s per slot
        double[] few = new double[300];
        Arrays.fill(few, 0.015);
        List<int[]> wide = TaskPlan.plan(few, 16);
        coversInOrder(wide, few.length);
        assertThat(wide).allMatch(t -> t[1] - t[0] <= 67);
        // 50 ms trials are not short: a task holds about a second of them, fewer than a hundred
        double[] longer = new double[3_000];
        Arrays.fill(longer, 0.05);
        List<int[]> guided = TaskPlan.plan(longer, 2);
        assertThat(guided.get(guided.size() - 2)[1] - guided.get(guided.size() - 2)[0]).isLessThan(TaskPlan.MIN_TRIALS);
    }

    @Test
    void theHundredTrialFloorIsOnlyForShortTrials() {
        double[] s = new double[1_000];
        Arrays.fill(s, 0.1);
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, s.length);
        // 100 s of estimate: tasks shrink from 125 trials (12.5 s) to the 1 s minimum (10 trials), above it only by
        // the tail floor (ceil(1000 / 128) = 8 trials)
        assertThat(plan.get(0)[1] - plan.get(0)[0]).isBetween(120, 125);
        assertThat(plan.get(plan.size() - 1)[1] - plan.get(plan.size() - 1)[0]).isLessThanOrEqualTo(10);
        assertThat(plan.size()).isGreaterThan(10);
    }

    @Test
    void runsPlanExactlyAsTheirTrialsWould() {
        java.util.Random r = new java.util.Random(15);
        for (int trial = 0; trial < 200; trial++) {
            int runs = 1 + r.nextInt(6);
            double[] sec = new double[runs];
            int[] cnt = new int[runs];
            double x = 20;
            int n = 0;
            for (int k = 0; k < runs; k++) {
                x = x * r.nextDouble(); // longest first, as a sweep orders them
                sec[k] = r.nextBoolean() ? x : NEAR_ZERO * (1 + k);
                cnt[k] = r.nextInt(400);
                n += cnt[k];
            }
            double[] each = new double[n];
            int p = 0;
            for (int k = 0; k < runs; k++) {
                for (int j = 0; j < cnt[k]; j++) {
                    each[p++] = sec[k];
                }
            }
            int slots = 1 + r.nextInt(16);
            List<int[]> byRuns = TaskPlan.planRuns(sec, cnt, slots);
            List<int[]> byTrial = TaskPlan.plan(each, slots);
            coversInOrder(byRuns, n);
            assertThat(byRuns).usingElementComparator((a, b) -> Arrays.equals(a, b) ? 0 : 1).containsExactlyElementsOf(byTrial);
        }
    }

    @Test
    void badRunsAreRefusedNamingThem() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TaskPlan.planRuns(new double[]{1}, new int[]{1, 2}, 2))
                .hasMessage("the plan needs one count per estimate: 1 estimates, 2 counts");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TaskPlan.planRuns(new double[]{1, 2}, new int[]{1, -2}, 2))
                .hasMessage("run 1 of the plan has -2 trials; it must have 0 or more");
    }

    @Test
    void aTaskNeverCarriesMoreThanTheCap() {
        double[] s = new double[10_000];
        Arrays.fill(s, 0.001);
        List<int[]> plan = TaskPlan.plan(s, 1);
        coversInOrder(plan, s.length);
        assertThat(plan).allMatch(t -> t[1] - t[0] <= TaskPlan.MAX_TRIALS);
        assertThat(plan.get(0)[1]).isEqualTo(TaskPlan.MAX_TRIALS);
    }

    @Test
    void aMixOfLongAndShortKeepsTheLongOnesAlone() {
        double[] s = {100, 50, 6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, s.length);
        assertThat(plan.subList(0, 3)).allMatch(t -> t[1] - t[0] == 1);
        assertThat(plan.size()).isLessThan(s.length);
    }
}
