package io.gradflow.theory;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.function.DoubleUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The theory over the whole range of q a sweep can reach, from a vanishing signal (q = 1e-6) to a wildly
 * over-scaled one (q = 1e8, e.g. normal(1.0) weights on wide layers). At large q the mass of φ'(√q z)² sits in
 * |z| ≲ a few/√q, a peak the quadrature once chased forever. The timeouts below are hang guards only (generous, so a
 * busy machine cannot fail them), never speed assertions.
 */
class MeanFieldRangeTest {

    private static final Duration HANG_GUARD = Duration.ofSeconds(5);
    // Up to 1e8 as promised, and far beyond where nothing may break (GELU's cube overflows past q = 1e205).
    private static final double[] QS = {1e-300, 1e-6, 1e-3, 0.1, 1, 10, 256, 8192, 16384, 1e5, 1e6, 1e7, 1e8, 1e12, 1e300};

    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyMomentComesBackAtEveryQ(Activation a) {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            for (double q : QS) {
                double d = MeanField.derivativeMoment(a, q);
                double m = MeanField.secondMoment(a, q);
                assertThat(d).as("E φ'² of %s at q=%s", a, q).isFinite().isPositive();
                assertThat(m).as("E φ² of %s at q=%s", a, q).isFinite().isPositive();
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void theHangingConfigurationPredictsForEveryActivation(Activation a) {
        // normal(1.0) at width 256: σw² = 256 per hidden block and 32 or 64 for the projection, so block 1 sees
        // q = 256 · 64 = 16384 and saturating activations stay at q ≈ 256 after it.
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            for (int inputs : new int[]{32, 64}) {
                Prediction p = MeanField.predict(a, InitSpec.normal(1.0), 20, 256, inputs, 1);
                assertThat(p.q()[0]).isEqualTo(256.0 * inputs);
                for (double chi : p.chi()) {
                    assertThat(chi).isFinite().isPositive();
                }
                assertThat(p.flowLog10()).isFinite();
            }
        });
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e6, 1e7, 1e8, 1e10})
    void tanhAtLargeQFollowsItsAsymptoticSeries(double q) {
        // E[sech⁴(√q z)] = (1/√(2πq)) ∫ sech⁴(u) e^{−u²/(2q)} du = (1/√(2πq)) [4/3 − (π² − 6)/(18 q) + O(q⁻²)];
        // the next term is 0.498/(8q²), below 5e-14 of the leading one from q = 1e6 on.
        double leading = 4.0 / 3 / Math.sqrt(2 * Math.PI * q);
        double series = (4.0 / 3 - (Math.PI * Math.PI - 6) / (18 * q)) / Math.sqrt(2 * Math.PI * q);
        double d = assertTimeoutPreemptively(HANG_GUARD, () -> MeanField.derivativeMoment(Activation.TANH, q));
        assertThat(d / series).as("E tanh'² at q=%s", q).isCloseTo(1, within(1e-12));
        assertThat(d / leading).isCloseTo(1, within(0.2 / q));
    }

    @Test
    void tanhAtTheHangingQIsTheAsymptoticValue() {
        double q = 16384;
        double series = (4.0 / 3 - (Math.PI * Math.PI - 6) / (18 * q) + 0.498263184292530797 / (8 * q * q))
                / Math.sqrt(2 * Math.PI * q);
        double d = assertTimeoutPreemptively(HANG_GUARD, () -> MeanField.derivativeMoment(Activation.TANH, q));
        assertThat(d / series).isCloseTo(1, within(1e-12));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void largeQAgreesWithBruteForceSimpson(Activation a) {
        for (double q : new double[]{16384, 1e6, 1e8}) {
            double s = Math.sqrt(q);
            double d = simpson(z -> sq(MeanField.dphi(a, s * z)) * pdf(z), 1 / s);
            double m = simpson(z -> sq(MeanField.phi(a, s * z)) * pdf(z), 1 / s);
            double dq = assertTimeoutPreemptively(HANG_GUARD, () -> MeanField.derivativeMoment(a, q));
            double mq = assertTimeoutPreemptively(HANG_GUARD, () -> MeanField.secondMoment(a, q));
            assertThat(dq / d).as("E φ'² of %s at q=%s", a, q).isCloseTo(1, within(1e-9));
            assertThat(mq / m).as("E φ² of %s at q=%s", a, q).isCloseTo(1, within(1e-9));
        }
    }

    @Test
    void aSignedIntegrandThatCancelsToZeroStillComesBack() {
        // E[z] = 0 and E[tanh(1e4 z)] = 0: no relative tolerance can be met, the absolute floor (a fraction of E|f|) is.
        double v = assertTimeoutPreemptively(HANG_GUARD, () -> GaussianIntegral.expectation(z -> z));
        assertThat(v).isCloseTo(0, within(1e-15));
        double w = assertTimeoutPreemptively(HANG_GUARD, () -> GaussianIntegral.expectation(z -> Math.tanh(1e4 * z) + 1e-3 * z, 1e-4));
        assertThat(w).isCloseTo(0, within(1e-14));
    }

    @Test
    void aNarrowPeakIsFoundWhenItsScaleIsGiven() {
        // E[e^{−z²/(2w²)}] = w/√(1 + w²): all of it within a few w of 0, invisible to a rule on [0, 30] at w = 1e-6.
        for (double w : new double[]{1e-2, 1e-6, 1e-12}) {
            double v = assertTimeoutPreemptively(HANG_GUARD,
                    () -> GaussianIntegral.expectation(z -> Math.exp(-0.5 * z * z / (w * w)), w));
            assertThat(v / (w / Math.sqrt(1 + w * w))).as("w=%s", w).isCloseTo(1, within(1e-12));
        }
    }

    @Test
    void anIntegrandTheBudgetCannotResolveThrowsInsteadOfSpinning() {
        // Tens of thousands of oscillations per unit of z: no bounded number of subdivisions resolves them, and the
        // integrator must say so instead of running on.
        assertTimeoutPreemptively(HANG_GUARD, () ->
                assertThatThrownBy(() -> GaussianIntegral.expectation(z -> Math.cos(1e6 * z) + Math.cos(3.7e5 * z)))
                        .isInstanceOf(ArithmeticException.class)
                        .hasMessageContaining("did not converge"));
    }

    private static double sq(double v) {
        return v * v;
    }

    private static double pdf(double z) {
        return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    }

    /**
     * Composite Simpson, 200 000 panels on each of [−12, −40w], [−40w, 0], [0, 40w], [40w, 12]: the fine pieces
     * resolve the activation's features at z-scale w = 1/√q (beyond 40w the derivative of every saturating
     * activation is below e^{−80}), the coarse ones the Gaussian. Slow, simple and independent of the quadrature.
     */
    private static double simpson(DoubleUnaryOperator f, double w) {
        double inner = 40 * w;
        return simpson(f, -12, -inner) + simpson(f, -inner, 0) + simpson(f, 0, inner) + simpson(f, inner, 12);
    }

    private static double simpson(DoubleUnaryOperator f, double a, double b) {
        int n = 200_000;
        double h = (b - a) / n;
        // Endpoints just inside the interval: the kink at 0 takes the value of this side.
        double s = f.applyAsDouble(a + 1e-13 * (b - a)) + f.applyAsDouble(b - 1e-13 * (b - a));
        for (int i = 1; i < n; i++) {
            s += f.applyAsDouble(a + i * h) * (i % 2 == 1 ? 4 : 2);
        }
        return s * h / 3;
    }
}
