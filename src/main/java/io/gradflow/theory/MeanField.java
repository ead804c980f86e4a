package io.gradflow.theory;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.TrialConfig;

import java.util.Optional;

/**
 * Mean-field predictions at initialization for gradflow's plain networks (input projection → {@code depth}
 * blocks Dense → activation, all of width n). With weights N(0, σw²/fan_in), zero biases (σb² = 0) and large
 * width, the pre-activation z_l of block l has second moment
 * <pre>  q_l = σw² · E[φ(√q_{l−1} z)²]      (z ~ N(0, 1), the uncentred moment)</pre>
 * starting from the projection's output, whose second moment is σw²(projection) times the inputs' (1 for
 * standardized features; the projection is linear). Backpropagation multiplies the squared norm of
 * δ = ∂loss/∂(pre-activation) by
 * <pre>  χ_l = σw² · E[φ'(√q_l z)²]  = E‖δ_l‖² / E‖δ_{l+1}‖²</pre>
 * per block, so the flow log10(‖δ_1‖/‖δ_L‖) is predicted as ½ Σ_{l=1}^{L−1} log10 χ_l. Expectations are computed
 * by {@link GaussianIntegral} to about 1e-12 relative, in bounded work for any q (the integrand's z-scale 1/√q is
 * passed on, so the narrow peak of φ'(√q z)² at large q is resolved). The functions are the ones DL4J 1.0.0-M2.1 computes: leaky ReLU
 * slope 0.01, ELU α = 1, SELU with DL4J's constants; derivatives at the kink 0 do not matter (a null set).
 * GELU is not the exact erf form: DL4J's {@code ActivationGELU(true)} runs libnd4j's PreciseGELU, the tanh
 * approximation with the cube misplaced, ½x(1 + tanh(√(2/π)(x + (0.044715x)³))), and backpropagates with
 * PreciseGELUDerivative, whose cubic terms differ again, so its backward pass is not the derivative of its forward
 * one (2.6% off at x = 1). The theory follows what the network computes: φ from the forward op, φ' from the
 * backward op.
 *
 * <p>Not covered: batch norm (the pre-activation is normalized per batch, not a Gaussian of the weights) and
 * residual blocks (the stream's variance grows additively and δ has two paths); {@link #forTrial} returns empty.
 */
public final class MeanField {

    /** DL4J's leaky ReLU slope as gradflow configures it. */
    public static final double LEAKY_SLOPE = 0.01;
    /** DL4J's SELU constants (libnd4j SELU_ALPHA, SELU_LAMBDA). */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    public static final double SELU_LAMBDA = 1.0507009873554804934193349852946;
    /** Second moment of a standardized input feature. */
    public static final double STANDARDIZED_INPUT_MOMENT = 1.0;

    /** |x| beyond which tanh in GELU's derivative is ±1 in double, so the derivative is exactly 1 or 0. */
    private static final double GELU_SATURATED = 50;
    private static final double SQRT_2_OVER_PI = 0.797884560802865355879892119869;
    private static final double INV_SQRT_2 = 0.707106781186547524400844362105;

    private MeanField() {
    }

    /** φ(x) of a gradflow activation, as DL4J computes it. */
    public static double phi(Activation a, double x) {
        return switch (a) {
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
            case TANH -> Math.tanh(x);
            case RELU -> x > 0 ? x : 0;
            case LEAKYRELU -> x > 0 ? x : LEAKY_SLOPE * x;
            case ELU -> x > 0 ? x : Math.expm1(x);
            case GELU -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + cube(0.044715 * x))));
            case IDENTITY -> x;
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case SELU -> x > 0 ? SELU_LAMBDA * x : SELU_LAMBDA * SELU_ALPHA * Math.expm1(x);
        };
    }

    /** φ'(x); at the kink x = 0 the right or left limit (a null set for every expectation here). */
    public static double dphi(Activation a, double x) {
        return switch (a) {
            case SIGMOID -> {
                double s = phi(Activation.SIGMOID, x);
                yield s * (1 - s);
            }
            case TANH -> {
                double t = Math.tanh(x);
                yield 1 - t * t;
            }
            case RELU -> x > 0 ? 1 : 0;
            case LEAKYRELU -> x > 0 ? 1 : LEAKY_SLOPE;
            case ELU -> x > 0 ? 1 : Math.exp(x);
            case GELU -> {
                if (Math.abs(x) > GELU_SATURATED) {
                    // The formula's value out here, without its ∞ · 0 once the cube overflows (|x| > 1e104, q > 1e205).
                    yield x > 0 ? 1 : 0;
                }
                // libnd4j's PreciseGELUDerivative, constants as written there; not the derivative of phi (see above).
                double u = 0.797885 * x + cube(0.0356774 * x);
                double t = Math.tanh(u);
                yield 0.5 + (0.398942 * x + cube(0.0535161 * x)) * (1 - t * t) + 0.5 * t;
            }
            case IDENTITY -> 1;
            case SOFTSIGN -> 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x)));
            case SELU -> x > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(x);
        };
    }

    /** E[φ(√q z)²], z ~ N(0, 1): the second moment (uncentred) of a block's output when its input has moment q. */
    public static double secondMoment(Activation a, double q) {
        double s = Math.sqrt(positive(q));
        return GaussianIntegral.expectation(z -> {
            double v = phi(a, s * z);
            return v * v;
        }, 1 / s);
    }

    /** E[φ'(√q z)²], z ~ N(0, 1). */
    public static double derivativeMoment(Activation a, double q) {
        double s = Math.sqrt(positive(q));
        // φ' changes on the x-scale 1, so on the z-scale 1/√q: at large q its mass is a narrow peak at 0.
        return GaussianIntegral.expectation(z -> {
            double v = dphi(a, s * z);
            return v * v;
        }, 1 / s);
    }

    /** χ = σw² · E[φ'(√q z)²]: the factor of E‖δ‖² per block at pre-activation moment q. */
    public static double chi(Activation a, double sigmaW2, double q) {
        return sigmaW2 * derivativeMoment(a, q);
    }

    /**
     * The prediction for a plain network.
     *
     * @param a           hidden activation
     * @param init        weight initialization of every layer (σw² from the rule and each layer's fan-in and fan-out)
     * @param depth       hidden blocks
     * @param width       units per block
     * @param inputs      input features (fan-in of the projection)
     * @param inputMoment second moment of an input feature (1 for standardized data)
     */
    public static Prediction predict(Activation a, InitSpec init, int depth, int width, int inputs, double inputMoment) {
        if (depth < 1 || width < 1 || inputs < 1) {
            throw new IllegalArgumentException("depth, width and inputs must be at least 1, got " + depth + ", " + width + ", " + inputs);
        }
        if (!(inputMoment > 0) || Double.isInfinite(inputMoment)) {
            throw new IllegalArgumentException("the input second moment " + inputMoment + " must be a positive number");
        }
        double sw2 = init.sigmaW2(width, width);
        double sw2In = init.sigmaW2(inputs, width);
        double[] q = new double[depth];
        double[] chi = new double[depth];
        double m = sw2In * inputMoment; // the projection is linear: its output moment is its pre-activation's
        for (int l = 0; l < depth; l++) {
            q[l] = sw2 * m;
            m = secondMoment(a, q[l]);
            chi[l] = chi(a, sw2, q[l]);
        }
        return new Prediction(a, init, width, inputs, sw2, sw2In, inputMoment, q, chi);
    }

    /**
     * The prediction for a trial with standardized inputs, or empty where the theory does not apply (batch norm,
     * residual blocks, and warm starts, whose trained weights follow no initialization rule).
     */
    public static Optional<Prediction> forTrial(TrialConfig c, int inputs) {
        if (c.batchnorm() || c.residual().hasSkip() || c.init().isPretrained()) {
            return Optional.empty();
        }
        return Optional.of(predict(c.activation(), c.init(), c.depth(), c.width(), inputs, STANDARDIZED_INPUT_MOMENT));
    }

    /** Φ(x), the standard normal CDF, from erfc (accurate in both tails). */
    public static double normalCdf(double x) {
        return 0.5 * Erf.erfc(-x * INV_SQRT_2);
    }

    private static double cube(double v) {
        return v * v * v;
    }

    private static double positive(double q) {
        if (!(q >= 0) || Double.isInfinite(q)) {
            throw new IllegalArgumentException("second moment q " + q + " must be a finite number at least 0");
        }
        // q underflows to 0 in very deep shrinking nets; the q → 0+ limit is what the network approaches.
        return Math.max(q, Double.MIN_NORMAL);
    }
}
