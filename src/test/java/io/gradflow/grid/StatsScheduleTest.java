package io.gradflow.grid;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatsScheduleTest {

    @Test
    void log2SamplesPowersOfTwoAndTheLastStep() {
        assertThat(StatsSchedule.log2().steps(10)).containsExactly(0, 1, 2, 4, 8, 9);
    }

    @Test
    void log2OfOneStepIsJustStepZero() {
        assertThat(StatsSchedule.log2().steps(1)).containsExactly(0);
    }

    @Test
    void log2OfTwoStepsIsZeroAndOne() {
        assertThat(StatsSchedule.log2().steps(2)).containsExactly(0, 1);
    }

    @Test
    void log2DoesNotRepeatALastStepThatIsAPowerOfTwo() {
        assertThat(StatsSchedule.log2().steps(9)).containsExactly(0, 1, 2, 4, 8);
        assertThat(StatsSchedule.log2().steps(200)).containsExactly(0, 1, 2, 4, 8, 16, 32, 64, 128, 199);
    }

    @Test
    void log2StaysLogarithmicForLongRuns() {
        int[] steps = StatsSchedule.log2().steps(TrialConfig.MAX_STEPS);
        assertThat(steps).hasSize(1 + 24 + 1).startsWith(0, 1, 2).endsWith(1 << 23, TrialConfig.MAX_STEPS - 1);
        assertThat(steps).isSorted();
    }

    @Test
    void everySamplesZeroEveryIntervalAndTheLastStep() {
        StatsSchedule every3 = new StatsSchedule("every", 3, 1);
        assertThat(every3.steps(10)).containsExactly(0, 3, 6, 9);
        assertThat(every3.steps(11)).containsExactly(0, 3, 6, 9, 10);
        assertThat(every3.steps(1)).containsExactly(0);
        assertThat(every3.steps(3)).containsExactly(0, 2);
    }

    @Test
    void everyOneSamplesEveryStep() {
        assertThat(new StatsSchedule("every", 1, 1).steps(5)).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void canonicalNamesTheKindAndTheInterval() {
        assertThat(StatsSchedule.log2().canonical()).isEqualTo("log2");
        assertThat(new StatsSchedule("every", 3, 1).canonical()).isEqualTo("every(3)");
    }

    @Test
    void log2IgnoresEvery() {
        assertThat(new StatsSchedule("log2", 7, 1)).isEqualTo(StatsSchedule.log2());
        assertThat(new StatsSchedule("log2", 7, 1).every()).isZero();
    }

    @Test
    void unknownKindListsTheKinds() {
        assertThatThrownBy(() -> new StatsSchedule("linear", 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("statistics.schedule 'linear' is not supported")
                .hasMessageContaining("log2, every");
    }

    @Test
    void everyBelowOneIsRejected() {
        assertThatThrownBy(() -> new StatsSchedule("every", 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("statistics.every 0 is not allowed");
    }

    @Test
    void curveEveryBelowOneIsRejected() {
        assertThatThrownBy(() -> new StatsSchedule("log2", 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("statistics.curve_every 0 is not allowed");
    }
}
