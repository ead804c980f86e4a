package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EstimateTest {

    @Test
    void fourValuesUseTheTQuantileWithThreeDegreesOfFreedom() {
        Estimate e = Estimate.of(1, 2, 3, 4);
        // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; sd = sqrt(5/3)
        double sd = Math.sqrt(5.0 / 3.0);
        double half = 3.182446305 * sd / 2.0; // t_{0.975,3} · sd / √4
        assertThat(e.n()).isEqualTo(4);
        assertThat(e.mean()).isEqualTo(2.5);
        assertThat(e.sd()).isCloseTo(1.2909944487, within(1e-9));
        assertThat(e.ciLow()).isCloseTo(2.5 - half, within(1e-8));
        assertThat(e.ciHigh()).isCloseTo(2.5 + half, within(1e-8));
        assertThat(e.ciHigh()).isCloseTo(4.5542610, within(1e-6));
    }

    @Test
    void missingValuesAreLeftOutAndTwoValuesGiveTheWideIntervalOfOneDegreeOfFreedom() {
        Estimate e = Estimate.of(2, Double.NaN, 4, Double.POSITIVE_INFINITY);
        assertThat(e.n()).isEqualTo(2);
        assertThat(e.mean()).isEqualTo(3.0);
        assertThat(e.sd()).isCloseTo(Math.sqrt(2), within(1e-12));
        // 12.706 · √2 / √2
        assertThat(e.ciLow()).isCloseTo(3 - 12.706204736, within(1e-8));
        assertThat(e.ciHigh()).isCloseTo(3 + 12.706204736, within(1e-8));
    }

    @Test
    void oneValueHasNoSpreadAndNoValueHasNoMean() {
        Estimate one = Estimate.of(Double.NaN, -5.5);
        assertThat(one.n()).isEqualTo(1);
        assertThat(one.mean()).isEqualTo(-5.5);
        assertThat(one.sd()).isNaN();
        assertThat(one.ciLow()).isNaN();
        assertThat(Estimate.of(Double.NaN).n()).isZero();
        assertThat(Estimate.of().mean()).isNaN();
    }

    @Test
    void equalValuesGiveAZeroWidthInterval() {
        Estimate e = Estimate.of(1.5, 1.5, 1.5);
        assertThat(e.sd()).isZero();
        assertThat(e.ciLow()).isEqualTo(1.5);
        assertThat(e.ciHigh()).isEqualTo(1.5);
    }
}
