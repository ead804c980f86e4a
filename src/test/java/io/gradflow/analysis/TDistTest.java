package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TDistTest {

    @Test
    void quantilesMatchThePublishedTable() {
        // Two-sided 95% critical values of Student's t (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
        assertThat(TDist.t975(1)).isCloseTo(12.706204736, within(1e-8));
        assertThat(TDist.t975(2)).isCloseTo(4.302652730, within(1e-8));
        assertThat(TDist.t975(3)).isCloseTo(3.182446305, within(1e-8));
        assertThat(TDist.t975(4)).isCloseTo(2.776445105, within(1e-8));
        assertThat(TDist.t975(9)).isCloseTo(2.262157163, within(1e-8));
        assertThat(TDist.t975(29)).isCloseTo(2.045229642, within(1e-8));
        assertThat(TDist.t975(1_000_000)).isCloseTo(1.959966, within(1e-5));
        assertThat(TDist.quantile(0.95, 5)).isCloseTo(2.015048373, within(1e-8));
        assertThat(TDist.quantile(0.025, 2)).isCloseTo(-4.302652730, within(1e-8));
    }

    @Test
    void theCdfIsTheCauchyDistributionAtOneDegreeOfFreedom() {
        for (double t : new double[]{-3, -0.5, 0, 0.7, 10}) {
            assertThat(TDist.cdf(t, 1)).isCloseTo(0.5 + Math.atan(t) / Math.PI, within(1e-12));
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> TDist.quantile(1.0, 3)).hasMessageContaining("probability 1.0");
        assertThatThrownBy(() -> TDist.cdf(1, 0)).hasMessageContaining("degrees of freedom 0.0");
    }
}
