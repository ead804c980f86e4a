package io.gradflow.model;

import io.gradflow.grid.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;

/**
 * A grid activation's forward function and backward pass as plain Java loops in double precision, with DL4J
 * 1.0.0-M2.1's definitions (libnd4j's legacy ops behind DL4J's {@code IActivation}s), for {@link FusedBlock}:
 * <ul>
 *   <li>sigmoid {@code 1/(1+e^-x)}, backward {@code s(1−s)};</li>
 *   <li>tanh: {@link ExactTanh}'s exact function (ND4J's float32 tanh flushes |x| ≤ 1e-8 to 0);</li>
 *   <li>ReLU {@code x < 0 ? 0 : x} (a NaN passes), backward {@code x > 0 ? ε : 0} (DL4J's derivative at 0 is 0,
 *       and a NaN pre-activation or gradient gives 0);</li>
 *   <li>leaky ReLU {@code x < 0 ? αx : x}, backward {@code x < 0 ? α : 1} (1 at 0, where ReLU's is 0; α rounded to float,
 *       as libnd4j's LeakyReLUBp takes it, even in double);</li>
 *   <li>ELU {@code x > 0 ? x : α(e^x − 1)}, backward {@code x > 0 ? 1 : αe^x};</li>
 *   <li>GELU: DL4J's "precise" {@code ActivationGELU(true)}, i.e. libnd4j's PreciseGELU
 *       {@code x/2·(1 + tanh(√(2/π)(x + (0.044715x)³)))} forward and PreciseGELUDerivative
 *       {@code ½ + (0.398942x + (0.0535161x)³)·sech²(u) + ½tanh(u)}, {@code u = 0.797885x + (0.0356774x)³},
 *       backward: not the derivative of the forward function (see {@code theory/MeanField}), but what DL4J trains
 *       with; tanh and sech² are {@link ExactTanh}'s (within a few ulps; over arrays on vector lanes) rather than
 *       {@code Math.tanh} and {@code Math.cosh}, which cost 30–45 ns per element and made a GELU block's loops ten
 *       times slower than a ReLU block's whole step (BENCHMARKS.md);</li>
 *   <li>identity; softsign {@code x/(1+|x|)}, backward {@code 1/(1+|x|)²}; SELU with libnd4j's λ and α.</li>
 * </ul>
 * The exponentials are {@link FastExp}'s (within 2 ulps of {@code Math.exp}; over arrays on the Vector API, with
 * the same bits). {@code BlockActivationTest} checks every one against DL4J's own {@code IActivation} in double
 * precision.
 */
public final class BlockActivation {

    /** libnd4j's SELU constants. */
    static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    static final double SELU_LAMBDA = 1.0507009873554804934193349852946;
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private final Activation kind;
    private final double alpha;

    private BlockActivation(Activation kind, double alpha) {
        this.kind = kind;
        this.alpha = alpha;
    }

    /** The grid activation; leaky ReLU has slope 0.01 and ELU α = 1, as {@link NetworkFactory} configures DL4J. */
    public static BlockActivation of(Activation a) {
        return new BlockActivation(a, switch (a) {
            case LEAKYRELU -> 0.01;
            case ELU -> 1.0;
            default -> 0.0;
        });
    }

    /**
     * The function of one of DL4J's activations that {@link NetworkFactory#activation} makes, or null for any other
     * (ReLU with thresholds or a cap, approximate GELU, ...), which the fused block does not take.
     */
    public static BlockActivation of(IActivation fn) {
        if (fn instanceof ActivationSigmoid) {
            return new BlockActivation(Activation.SIGMOID, 0);
        } else if (fn instanceof ExactTanh) {
            return new BlockActivation(Activation.TANH, 0);
        } else if (fn instanceof ActivationReLU r && r.equals(new ActivationReLU())) {
            return new BlockActivation(Activation.RELU, 0);
        } else if (fn instanceof ActivationLReLU l) {
            return new BlockActivation(Activation.LEAKYRELU, l.getAlpha());
        } else if (fn instanceof ActivationELU e) {
            return new BlockActivation(Activation.ELU, e.getAlpha());
        } else if (fn instanceof ActivationGELU g && g.isPrecise()) {
            return new BlockActivation(Activation.GELU, 0);
        } else if (fn instanceof ActivationIdentity) {
            return new BlockActivation(Activation.IDENTITY, 0);
        } else if (fn instanceof ActivationSoftSign) {
            return new BlockActivation(Activation.SOFTSIGN, 0);
        } else if (fn instanceof ActivationSELU) {
            return new BlockActivation(Activation.SELU, 0);
        }
        return null;
    }

    public Activation kind() {
        return kind;
    }

    /** φ(x). */
    public double value(double x) {
        switch (kind) {
            case SIGMOID:
                return 1 / (1 + FastExp.exp(-x));
            case TANH:
                return ExactTanh.tanh(x);
            case RELU:
                return Math.max(x, 0.0); // a NaN passes, as in DL4J (whose -0.0 stays -0.0: the same value)
            case LEAKYRELU:
                return x < 0 ? alpha * x : x;
            case ELU:
                return x > 0 ? x : alpha * (FastExp.exp(x) - 1);
            case GELU:
                return x / 2 * (1 + ExactTanh.tanh(geluArgument(x)));
            case IDENTITY:
                return x;
            case SOFTSIGN:
                return x / (1 + Math.abs(x));
            case SELU:
                return x > 0 ? SELU_LAMBDA * x : SELU_LAMBDA * (SELU_ALPHA * FastExp.exp(x) - SELU_ALPHA);
            default:
                throw new AssertionError(kind);
        }
    }

    /**
     * The backward pass at pre-activation {@code x} with incoming gradient {@code eps}: {@code eps·φ'(x)}, except that
     * DL4J's ReLU selects rather than multiplies, so that a NaN pre-activation or upstream gradient gives 0 there.
     */
    public double backward(double x, double eps) {
        if (kind == Activation.RELU) {
            return x > 0 ? eps : 0.0;
        }
        return eps * derivative(x);
    }

    /** The factor the backward pass multiplies the incoming gradient by at pre-activation x: DL4J's φ'(x). */
    public double derivative(double x) {
        switch (kind) {
            case SIGMOID: {
                double s = 1 / (1 + FastExp.exp(-x));
                return s * (1 - s);
            }
            case TANH:
                return ExactTanh.sech2(x);
            case RELU:
                return x > 0 ? 1.0 : 0.0;
            case LEAKYRELU:
                // DL4J's slope at 0 is 1, unlike ReLU's; its LeakyReLUBp op takes α as a float argument, even in double.
                return x < 0 ? (float) alpha : 1.0; // and a NaN pre-activation passes ε on
            case ELU:
                return x > 0 ? 1.0 : alpha * FastExp.exp(x);
            case GELU: {
                double u = geluDerivativeArgument(x);
                return geluDerivative(x, ExactTanh.tanh(u), ExactTanh.sech2(u));
            }
            case IDENTITY:
                return 1.0;
            case SOFTSIGN: {
                double d = 1 + Math.abs(x);
                return 1 / (d * d);
            }
            case SELU:
                return x > 0 ? SELU_LAMBDA : SELU_ALPHA * SELU_LAMBDA * FastExp.exp(x);
            default:
                throw new AssertionError(kind);
        }
    }

    /**
     * {@code y[i] = φ(x[i])} for the first {@code len} values, rounded to float if {@code toFloat}: one loop per
     * function, so that the JIT compiles each without a per-element dispatch (and vectorizes the piecewise-linear
     * ones).
     */
    public void forward(double[] x, double[] y, int len, boolean toFloat) {
        switch (kind) {
            case RELU -> {
                // Math.max is branch-free (an intrinsic); a ternary on doubles compiles to a branch that half the
                // units mispredict. Same values: NaN passes, and -0.0 becomes 0.0, which equals it.
                if (FastExp.vectorized()) {
                    VectorBlockLoops.reluForward(x, y, len); // Math.max lane by lane
                    return;
                }
                for (int i = 0; i < len; i++) {
                    y[i] = Math.max(x[i], 0.0);
                }
                return; // exact: a float input stays a float
            }
            case IDENTITY -> {
                System.arraycopy(x, 0, y, 0, len);
                return;
            }
            case LEAKYRELU -> {
                double a = alpha;
                if (a > 0 && a < 1) {
                    for (int i = 0; i < len; i++) {
                        double v = x[i];
                        y[i] = Math.max(v, a * v); // = (v < 0 ? a·v : v) for 0 < α < 1, branch-free
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        double v = x[i];
                        y[i] = v < 0 ? a * v : v;
                    }
                }
            }
            case SIGMOID -> {
                // exp over the whole array first (vectorized), then the same expression as value(x)
                for (int i = 0; i < len; i++) {
                    y[i] = -x[i];
                }
                FastExp.exp(y, len);
                for (int i = 0; i < len; i++) {
                    y[i] = 1 / (1 + y[i]);
                }
            }
            case TANH -> {
                ExactTanh.tanh(x, y, len, toFloat);
                return;
            }
            case GELU -> geluForward(x, y, len);
            default -> {
                for (int i = 0; i < len; i++) {
                    y[i] = value(x[i]);
                }
            }
        }
        if (toFloat) {
            roundToFloat(y, len);
        }
    }

    /**
     * Whether {@link #forwardTraining} computes φ'(x) along with φ(x): for the functions whose value and derivative
     * share an exponential (sigmoid, tanh, ELU, SELU), so that the backward pass ({@link #backwardCached}) needs no
     * second one. The exponential was most of a sigmoid or tanh block's loops (JFR, BENCHMARKS.md).
     */
    public boolean cachesDerivative() {
        return switch (kind) {
            case SIGMOID, TANH, ELU, SELU -> true;
            default -> false;
        };
    }

    /**
     * {@link #forward} for a training pass of a function that {@link #cachesDerivative}: {@code y[i] = φ(x[i])}
     * (rounded to float if {@code toFloat}) and {@code d[i] = φ'(x[i])} unrounded, each computed by exactly the
     * expressions of {@link #value}/{@link #forward} and {@link #derivative}, so that
     * {@code backwardCached(d, g)} gives the bits {@code backward(x, g)} gives.
     */
    public void forwardTraining(double[] x, double[] y, double[] d, int len, boolean toFloat) {
        if (x == y || x == d || y == d) {
            throw new IllegalArgumentException("forwardTraining needs three distinct arrays: it keeps the "
                    + "exponentials in y while it still reads x.");
        }
        switch (kind) {
            case SIGMOID -> {
                // The exponentials over the whole array first (vectorized, FastExp), into y, then value's and
                // derivative's expressions: the same bits as the two functions.
                for (int i = 0; i < len; i++) {
                    y[i] = -x[i];
                }
                FastExp.exp(y, len);
                // the loop below, lane by lane, then its tail
                int from = FastExp.vectorized() ? rounded(VectorBlockLoops.sigmoidFromExp(y, d, len), y, toFloat) : 0;
                for (int i = from; i < len; i++) {
                    double s = 1 / (1 + y[i]);
                    d[i] = s * (1 - s);
                    y[i] = toFloat ? (float) s : s;
                }
            }
            case TANH -> ExactTanh.tanhAndSech2(x, y, d, len, toFloat);
            case ELU -> {
                double a = alpha;
                System.arraycopy(x, 0, y, 0, len);
                FastExp.exp(y, len);
                int from = FastExp.vectorized() ? rounded(VectorBlockLoops.eluFromExp(x, y, d, len, a), y, toFloat) : 0;
                for (int i = from; i < len; i++) {
                    double v = x[i];
                    double e = y[i];
                    double f = v > 0 ? v : a * (e - 1);
                    d[i] = v > 0 ? 1.0 : a * e;
                    y[i] = toFloat ? (float) f : f;
                }
            }
            case SELU -> {
                System.arraycopy(x, 0, y, 0, len);
                FastExp.exp(y, len);
                int from = FastExp.vectorized() ? rounded(VectorBlockLoops.seluFromExp(x, y, d, len), y, toFloat) : 0;
                for (int i = from; i < len; i++) {
                    double v = x[i];
                    double e = y[i];
                    double f = v > 0 ? SELU_LAMBDA * v : SELU_LAMBDA * (SELU_ALPHA * e - SELU_ALPHA);
                    d[i] = v > 0 ? SELU_LAMBDA : SELU_ALPHA * SELU_LAMBDA * e;
                    y[i] = toFloat ? (float) f : f;
                }
            }
            default -> throw new IllegalStateException(kind + " does not cache its derivative; use forward.");
        }
    }

    /**
     * In place, {@code g[i] = g[i]·d[i]} for the first {@code len} values, rounded to float if {@code toFloat}: the
     * backward pass from the derivatives {@link #forwardTraining} kept.
     */
    public static void backwardCached(double[] d, double[] g, int len, boolean toFloat) {
        // the products lane by lane, then the roundings (a float product of two doubles, rounded once either way)
        int from = FastExp.vectorized() ? rounded(VectorBlockLoops.multiply(g, d, len), g, toFloat) : 0;
        if (toFloat) {
            for (int i = from; i < len; i++) {
                g[i] = (float) (g[i] * d[i]);
            }
        } else {
            for (int i = from; i < len; i++) {
                g[i] = g[i] * d[i];
            }
        }
    }

    /**
     * In place, {@code g[i] = backward(x[i], g[i])} for the first {@code len} values, rounded to float if
     * {@code toFloat}; one loop per function, as {@link #forward}.
     */
    public void backward(double[] x, double[] g, int len, boolean toFloat) {
        switch (kind) {
            case RELU -> {
                if (FastExp.vectorized()) {
                    VectorBlockLoops.reluBackward(x, g, len); // the same selection, lane by lane
                } else {
                    reluBackwardScalar(x, g, len);
                }
                return; // exact
            }
            case IDENTITY -> {
                return;
            }
            case LEAKYRELU -> {
                double a = (float) alpha;
                if (FastExp.vectorized()) {
                    VectorBlockLoops.leakyReluBackward(x, g, len, a); // the same selection, lane by lane
                } else {
                    leakyReluBackwardScalar(x, g, len, a);
                }
            }
            case TANH -> {
                for (int i = 0; i < len; i++) {
                    g[i] = g[i] * ExactTanh.sech2(x[i]);
                }
            }
            case GELU -> geluBackward(x, g, len);
            default -> {
                for (int i = 0; i < len; i++) {
                    g[i] = g[i] * derivative(x[i]);
                }
            }
        }
        if (toFloat) {
            roundToFloat(g, len);
        }
    }

    /**
     * {@code done}, the count of leading values a vector loop computed unrounded into {@code v}, after rounding them
     * to float if {@code toFloat}: where the scalar loop after it goes on.
     */
    private static int rounded(int done, double[] v, boolean toFloat) {
        if (toFloat) {
            roundToFloat(v, done);
        }
        return done;
    }

    /** Leaky ReLU's backward pass without the Vector API: {@code g[i] = x[i] < 0 ? g[i]·a : g[i]}, branch-free. */
    static void leakyReluBackwardScalar(double[] x, double[] g, int len, double a) {
        for (int i = 0; i < len; i++) {
            long m = positiveMask(Double.doubleToRawLongBits(x[i]) ^ Long.MIN_VALUE); // x < 0
            double gi = g[i];
            g[i] = Double.longBitsToDouble((Double.doubleToRawLongBits(gi * a) & m)
                    | (Double.doubleToRawLongBits(gi) & ~m));
        }
    }

    /** ReLU's backward pass without the Vector API: {@code g[i] = x[i] > 0 ? g[i] : +0.0}, branch-free. */
    static void reluBackwardScalar(double[] x, double[] g, int len) {
        for (int i = 0; i < len; i++) {
            long m = positiveMask(Double.doubleToRawLongBits(x[i]));
            g[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(g[i]) & m); // x > 0 ? g : +0.0
        }
    }

    /**
     * All ones if the double with bits {@code b} is greater than 0 (not ±0, not NaN), else 0, without a branch:
     * {@code -b} is negative exactly for b &gt; 0 (and for -0.0, whose bits are Long.MIN_VALUE), and
     * {@code b − bits(+∞) − 1} is negative exactly for bits up to +∞ (so not for positive NaNs, nor -0.0).
     * Flipping the sign bit first gives x &lt; 0. The per-element loops of ReLU's family are otherwise bound by
     * branch mispredictions: about half the units of a layer are negative, at random.
     */
    static long positiveMask(long b) {
        return (-b >> 63) & ((b - 0x7FF0000000000001L) >> 63);
    }

    static void roundToFloat(double[] v, int len) {
        if (FastExp.vectorized()) {
            VectorLoops.roundToFloat(v, len); // the same roundings, vectorized
            return;
        }
        for (int i = 0; i < len; i++) {
            v[i] = (float) v[i];
        }
    }

    private static double cube(double v) {
        return v * v * v;
    }

    /** GELU's tanh argument in the forward function, {@code √(2/π)(x + (0.044715x)³)}. */
    private static double geluArgument(double x) {
        return SQRT_2_OVER_PI * (x + cube(0.044715 * x));
    }

    /** GELU's argument u in PreciseGELUDerivative, {@code 0.797885x + (0.0356774x)³}. */
    private static double geluDerivativeArgument(double x) {
        return 0.797885 * x + cube(0.0356774 * x);
    }

    /** PreciseGELUDerivative at x from {@code t = tanh(u)} and {@code s = sech²(u)}. */
    private static double geluDerivative(double x, double t, double s) {
        return 0.5 + (0.398942 * x + cube(0.0535161 * x)) * s + 0.5 * t;
    }

    /** GELU's working arrays (its array forms' arguments, tanh and sech²). */
    private static final ThreadScratch GELU_SCRATCH = new ThreadScratch(3);

    /**
     * GELU's forward pass over an array: the arguments, their tanh over the whole array ({@link ExactTanh}, on vector
     * lanes with its exponentials), then {@link #value}'s expression: the bits of {@link #value} element by element.
     */
    private static void geluForward(double[] x, double[] y, int len) {
        double[] z = GELU_SCRATCH.get(0, len);
        for (int i = 0; i < len; i++) {
            z[i] = geluArgument(x[i]);
        }
        ExactTanh.tanh(z, z, len, false);
        for (int i = 0; i < len; i++) {
            y[i] = x[i] / 2 * (1 + z[i]);
        }
    }

    /** GELU's backward pass over an array, in place: the bits of {@code g[i] * derivative(x[i])}. */
    private static void geluBackward(double[] x, double[] g, int len) {
        double[] u = GELU_SCRATCH.get(0, len);
        double[] t = GELU_SCRATCH.get(1, len);
        double[] q = GELU_SCRATCH.get(2, len);
        for (int i = 0; i < len; i++) {
            u[i] = geluDerivativeArgument(x[i]);
        }
        ExactTanh.tanhAndSech2(u, t, q, len, false);
        for (int i = 0; i < len; i++) {
            g[i] = g[i] * geluDerivative(x[i], t[i], q[i]);
        }
    }
}
