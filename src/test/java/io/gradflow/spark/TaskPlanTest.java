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
        int last = plan.get(plan.size() - 1)[1] - plan.get(plan.size() - 1)[0];
        // 300 s of estimate per task at first, down to the 2 s floor at the end
        assertThat(first).isEqualTo(600);
        assertThat(last).isLessThanOrEqualTo(4);
        // few tasks (few part files): far under one per 100 trials
        assertThat(plan.size()).isLessThan(s.length / 300);
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
