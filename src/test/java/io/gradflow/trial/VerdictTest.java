package io.gradflow.trial;

import io.gradflow.grid.HealthThresholds;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class VerdictTest {

    private final HealthThresholds h = new HealthThresholds(-2, 2);

    @Test
    void flowsWithinTheThresholdsAreHealthy() {
        assertThat(Verdict.judge(0.1, -1.9, 0, false, h)).isEqualTo(Verdict.HEALTHY);
        assertThat(Verdict.judge(-2.0, 2.0, 0, false, h)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void eitherInitOrTrainingBelowTheThresholdIsVanishing() {
        assertThat(Verdict.judge(-2.01, 0, 0, false, h)).isEqualTo(Verdict.VANISHING);
        assertThat(Verdict.judge(0, -5, 0, false, h)).isEqualTo(Verdict.VANISHING);
    }

    @Test
    void explodingWinsOverVanishingAndNonFiniteGradientsExplode() {
        assertThat(Verdict.judge(2.5, -3, 0, false, h)).isEqualTo(Verdict.EXPLODING);
        assertThat(Verdict.judge(0, 0, 1, false, h)).isEqualTo(Verdict.EXPLODING);
    }

    @Test
    void undefinedFlowsDoNotTriggerAVerdict() {
        assertThat(Verdict.judge(Double.NaN, Double.NaN, 0, false, h)).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void anUnderflowIsVanishingWhateverTheFlowsSay() {
        assertThat(Verdict.judge(Double.NaN, Double.NaN, 0, true, h)).isEqualTo(Verdict.VANISHING);
        assertThat(Verdict.judge(Double.NaN, 0.0, 0, true, h)).isEqualTo(Verdict.VANISHING);
        assertThat(Verdict.judge(Double.NaN, Double.NaN, 3, true, h)).isEqualTo(Verdict.EXPLODING);
    }
}
