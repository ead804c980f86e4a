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
            assertThat(cost).isLessThanOrEqualTo(Math.max(TaskPlan.MIN_TASK_SECONDS, remaining / 16));
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
        double[] s = {100, 50, 6, 1, 1, 1, 1, 1, 1};
        List<int[]> plan = TaskPlan.plan(s, 2);
        coversInOrder(plan, s.length);
        assertThat(plan.subList(0, 3)).allMatch(t -> t[1] - t[0] == 1);
        assertThat(plan.size()).isLessThan(s.length);
    }
}
