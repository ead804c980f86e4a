package io.gradflow.theory;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The theory against closed forms, series limits and an independent brute-force integration. */
class MeanFieldTest {

    @Test
    void gaussianExpectationsOfPolynomialsAndCosineAreExact() {
        assertThat(GaussianIntegral.expectation(z -> 1)).isCloseTo(1, within(1e-13));
        assertThat(GaussianIntegral.expectation(z -> z * z)).isCloseTo(1, within(1e-13));
        assertThat(GaussianIntegral.expectation(z -> z * z * z * z)).isCloseTo(3, within(1e-12));
        assertThat(GaussianIntegral.expectation(Math::cos)).isCloseTo(Math.exp(-0.5), within(1e-13));
        // A jump at 0: P(z > 0) = 1/2 exactly, the case Gauss–Hermite through the kink gets wrong.
        assertThat(GaussianIntegral.expectation(z -> z > 0 ? 1 : 0)).isCloseTo(0.5, within(1e-13));
    }

    @Test
    void erfMatchesReferenceValues() {
        // Reference values (Abramowitz & Stegun table 7.1 and high-precision evaluations).
        assertThat(Erf.erf(0.5)).isCloseTo(0.520499877813046537682746653892, within(1e-15));
        assertThat(Erf.erf(1.0)).isCloseTo(0.842700792949714869341220635083, within(1e-15));
        assertThat(Erf.erf(2.9)).isCloseTo(0.999958902121900541, within(1e-15));
        assertThat(Erf.erfc(3.5) / 7.43098372341412745e-7).isCloseTo(1, within(1e-13));
        assertThat(Erf.erfc(6.0) / 2.15197367124989131e-17).isCloseTo(1, within(1e-13));
        assertThat(Erf.erfc(-1.0)).isCloseTo(1.842700792949714869, within(1e-15));
        assertThat(MeanField.normalCdf(0)).isEqualTo(0.5);
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-6, 0.01, 0.5, 1, 2, 37.5, 1e4})
    void reluChiIsHalfSigmaW2AndItsMomentIsHalfQ(double q) {
        for (double sw2 : new double[]{1, 2, 0.3}) {
            assertThat(MeanField.chi(Activation.RELU, sw2, q)).isCloseTo(sw2 / 2, within(1e-12));
        }
        assertThat(MeanField.secondMoment(Activation.RELU, q) / (q / 2)).isCloseTo(1, within(1e-10));
        double a = MeanField.LEAKY_SLOPE;
        assertThat(MeanField.chi(Activation.LEAKYRELU, 2, q)).isCloseTo(1 + a * a, within(1e-12));
        assertThat(MeanField.secondMoment(Activation.LEAKYRELU, q) / (q * (1 + a * a) / 2)).isCloseTo(1, within(1e-10));
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-4, 1, 3.7})
    void identityChiIsSigmaW2AndItsMomentIsQ(double q) {
        assertThat(MeanField.chi(Activation.IDENTITY, 0.25, q)).isCloseTo(0.25, within(1e-13));
        assertThat(MeanField.secondMoment(Activation.IDENTITY, q) / q).isCloseTo(1, within(1e-11));
    }

    @Test
    void tanhSmallQLimits() {
        // tanh'(x)² = 1 − 2x² + 7/3 x⁴ + …, tanh(x)² = x² − 2/3 x⁴ + 17/45 x⁶ + …, with E z⁴ = 3, E z⁶ = 15.
        double q = 1e-4;
        assertThat(MeanField.derivativeMoment(Activation.TANH, q)).isCloseTo(1 - 2 * q + 7 * q * q, within(1e-10));
        q = 1e-3;
        assertThat(MeanField.secondMoment(Activation.TANH, q)).isCloseTo(q - 2 * q * q + 17.0 / 3 * q * q * q, within(5e-11)); // next term −62/3 q⁴
        assertThat(MeanField.chi(Activation.TANH, 1, 1e-9)).isCloseTo(1, within(1e-8));
    }

    @Test
    void sigmoidSmallQLimits() {
        // σ(x) = 1/2 + x/4 − x³/48 + …, σ'(x) = 1/4 − x²/16 + …: E σ² = 1/4 + q/16 − q²/32, E σ'² = 1/16 − q/32 + O(q²).
        double q = 1e-3;
        assertThat(MeanField.secondMoment(Activation.SIGMOID, q)).isCloseTo(0.25 + q / 16 - q * q / 32, within(1e-9));
        assertThat(MeanField.derivativeMoment(Activation.SIGMOID, 1e-4)).isCloseTo(1.0 / 16 - 1e-4 / 32, within(1e-8));
        assertThat(MeanField.chi(Activation.SIGMOID, 1, 1e-12)).isCloseTo(0.0625, within(1e-10));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.7, 4})
    void eluDerivativeMomentHasAClosedForm(double q) {
        // E[φ'²] = P(z > 0) + E[e^{2√q z}; z < 0] = 1/2 + e^{2q} Φ(−2√q).
        double expected = 0.5 + Math.exp(2 * q) * MeanField.normalCdf(-2 * Math.sqrt(q));
        assertThat(MeanField.derivativeMoment(Activation.ELU, q)).isCloseTo(expected, within(1e-11));
    }

    @Test
    void seluKeepsUnitVarianceAtItsFixedPoint() {
        // SELU's constants make a N(0, 1) input give an output of mean 0 and variance 1.
        assertThat(MeanField.secondMoment(Activation.SELU, 1)).isCloseTo(1, within(1e-8));
        assertThat(GaussianIntegral.expectation(z -> MeanField.phi(Activation.SELU, z))).isCloseTo(0, within(1e-8));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void integrationAgreesWithBruteForceSimpson(Activation a) {
        for (double q : new double[]{0.05, 1, 9}) {
            double s = Math.sqrt(q);
            double d = simpson(z -> sq(MeanField.dphi(a, s * z)) * pdf(z));
            double m = simpson(z -> sq(MeanField.phi(a, s * z)) * pdf(z));
            assertThat(MeanField.derivativeMoment(a, q)).as("E φ'² of %s at q=%s", a, q).isCloseTo(d, within(1e-9));
            assertThat(MeanField.secondMoment(a, q)).as("E φ² of %s at q=%s", a, q).isCloseTo(m, within(1e-9 * Math.max(1, q)));
        }
    }

    @Test
    void predictionsOfTheClassicCases() {
        Prediction heRelu = MeanField.predict(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), 50, 256, 256, 1);
        assertThat(heRelu.flowLog10()).isCloseTo(0, within(1e-10));
        assertThat(heRelu.chiPerBlock()).isCloseTo(1, within(1e-10));

        Prediction xavierRelu = MeanField.predict(Activation.RELU, InitSpec.of(InitSpec.Kind.XAVIER), 50, 256, 256, 1);
        assertThat(xavierRelu.flowLog10()).isCloseTo(24.5 * Math.log10(0.5), within(1e-10)); // −7.375
        assertThat(xavierRelu.q()[49] / xavierRelu.q()[0] / Math.pow(0.5, 49)).isCloseTo(1, within(1e-9));

        Prediction sig = MeanField.predict(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), 10, 256, 256, 1);
        assertThat(sig.chiPerBlock()).isCloseTo(0.056, within(0.002));
        assertThat(sig.flowLog10()).isCloseTo(-5.6, within(0.1));

        Prediction lin = MeanField.predict(Activation.IDENTITY, InitSpec.normal(Math.sqrt(0.5 / 64)), 10, 64, 3, 1);
        assertThat(lin.chiPerBlock()).isCloseTo(0.5, within(1e-12));
        assertThat(lin.flowLog10()).isCloseTo(4.5 * Math.log10(0.5), within(1e-12));
        assertThat(lin.log10DeltaRelative(10)).isEqualTo(0);
    }

    @Test
    void theInputMomentPassesThroughTheLinearProjection() {
        // Xavier projection from 2 inputs to 64 units: σw² = 4/66, so block 1 sees q = 1 · (4/66) · 1.
        Prediction p = MeanField.predict(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), 3, 64, 2, 1);
        assertThat(p.sigmaW2Input()).isCloseTo(4.0 / 66, within(1e-15));
        assertThat(p.q()[0]).isCloseTo(4.0 / 66, within(1e-15));
        assertThat(p.q()[1]).isCloseTo(MeanField.secondMoment(Activation.TANH, 4.0 / 66), within(1e-15));
        Prediction doubled = MeanField.predict(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), 3, 64, 2, 2);
        assertThat(doubled.q()[0]).isCloseTo(8.0 / 66, within(1e-15));
    }

    @Test
    void rejectsImpossibleInputs() {
        assertThatThrownBy(() -> MeanField.predict(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), 0, 8, 8, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("depth");
        assertThatThrownBy(() -> MeanField.secondMoment(Activation.RELU, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q NaN");
    }

    private static double sq(double v) {
        return v * v;
    }

    private static double pdf(double z) {
        return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    }

    /** Composite Simpson on [−12, 0] and [0, 12] with 200 000 panels each: slow, simple, independent. */
    private static double simpson(java.util.function.DoubleUnaryOperator f) {
        return simpson(f, -12, 0) + simpson(f, 0, 12);
    }

    private static double simpson(java.util.function.DoubleUnaryOperator f, double a, double b) {
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
