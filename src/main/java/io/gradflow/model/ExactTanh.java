package io.gradflow.model;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * tanh computed in double and rounded once to the network's type, forward and backward, in place like DL4J's
 * {@code ActivationTanH}. ND4J 1.0.0-M2.1's float32 {@code tanh} returns exactly 0 for |x| ≤ 1e-8 and rounds
 * small values to multiples of 2^-25, which in tiny-init tanh networks zeroed the last blocks' activation
 * statistics and moved the flow of weight gradients by a third of a decade against double; in double ND4J's op is
 * exact and this function agrees with it to a few units in the last place.
 *
 * <p>The backward pass multiplies the incoming gradient by sech²(x) = 1 − tanh²(x), computed as 4e/(1+e)² with
 * e = exp(−2|x|), which keeps its relative accuracy in the tails where 1 − tanh² is rounding noise. Stateless (no
 * fields, so DL4J's JSON form of a configuration is just the class name); the working arrays are per thread. The
 * exponentials are {@link FastExp}'s (within 2 ulps of {@code Math.exp}, and vectorized over arrays).
 */
public final class ExactTanh extends BaseActivationFunction {

    private static final long serialVersionUID = 1L;
    private static final ThreadScratch SCRATCH = new ThreadScratch(3);
    /** Below this |x| the series is used: 1 − e would cancel, and the series' next term is below 2^-53 · |x|. */
    static final double SERIES_BELOW = 0x1.0p-5;

    /** tanh(x) to within a few ulps in double. */
    public static double tanh(double x) {
        double a = Math.abs(x);
        if (a < SERIES_BELOW) {
            double x2 = x * x;
            return x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315 + x2 * (62.0 / 2835)))));
        }
        double e = FastExp.exp(-2 * a);
        double t = (1 - e) / (1 + e);
        return x < 0 ? -t : t;
    }

    /**
     * {@code y[i] = tanh(x[i])} for the first {@code len} values ({@code y} may be {@code x}), rounded to float if
     * {@code toFloat}: the bits of {@link #tanh(double)}, with the exponentials computed over the array at once
     * ({@link FastExp#exp(double[], int)}).
     */
    static void tanh(double[] x, double[] y, int len, boolean toFloat) {
        tanhAndMaybeSech2(x, y, null, len, toFloat);
    }

    /**
     * {@code y[i] = tanh(x[i])} (rounded to float if {@code toFloat}) and {@code d[i] = sech²(x[i])} unrounded, for
     * the first {@code len} values: the bits of {@link #tanhAndSech2(double, double[], int)} element by element.
     */
    static void tanhAndSech2(double[] x, double[] y, double[] d, int len, boolean toFloat) {
        tanhAndMaybeSech2(x, y, d, len, toFloat);
    }

    /** The two array forms above: sech² too where {@code d} is not null (a loop-invariant test the JIT hoists). */
    private static void tanhAndMaybeSech2(double[] x, double[] y, double[] d, int len, boolean toFloat) {
        double[] e = exponentials(x, len);
        int i = 0;
        if (FastExp.vectorized()) {
            WARM.ensure();
            // the same bits as the loop below (ExactTanhTest); its tail goes on there
            i = VectorTanh.tanh(x, e, y, d, len);
            if (toFloat) {
                BlockActivation.roundToFloat(y, i);
            }
        }
        for (; i < len; i++) {
            double v = x[i];
            double t;
            if (Math.abs(v) < SERIES_BELOW) {
                t = tanh(v);
                if (d != null) {
                    d[i] = 1 - t * t;
                }
            } else {
                double ei = e[i];
                t = (1 - ei) / (1 + ei);
                if (d != null) {
                    double dd = 1 + ei;
                    d[i] = 4 * ei / (dd * dd);
                }
                t = v < 0 ? -t : t;
            }
            y[i] = toFloat ? (float) t : t;
        }
    }

    /** {@link VectorTanh}'s warm-up ({@link VectorWarmUp}). */
    private static final VectorWarmUp WARM = new VectorWarmUp(() -> {
        double[] x = new double[16];
        double[] e = new double[16];
        double[] y = new double[16];
        double[] d = new double[16];
        for (int call = 0; call < 6_000; call++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (i - 8) * 0.01 + call * 1e-5;
                e[i] = 0.5 + i * 0.01;
            }
            VectorTanh.tanh(x, e, y, (call & 1) == 0 ? d : null, x.length);
        }
    });

    /** exp(−2|x[i]|) for the first {@code len} values, in this thread's working array. */
    private static double[] exponentials(double[] x, int len) {
        double[] e = scratch(2, len);
        for (int i = 0; i < len; i++) {
            e[i] = -2 * Math.abs(x[i]);
        }
        FastExp.exp(e, len);
        return e;
    }

    /**
     * {@link #tanh}(x), with {@link #sech2}(x) written to {@code d[i]}, from one exponential: the same expressions,
     * so the same bits as the two functions called apart.
     */
    static double tanhAndSech2(double x, double[] d, int i) {
        double a = Math.abs(x);
        if (a < SERIES_BELOW) {
            double t = tanh(x);
            d[i] = 1 - t * t;
            return t;
        }
        double e = FastExp.exp(-2 * a);
        double t = (1 - e) / (1 + e);
        double dd = 1 + e;
        d[i] = 4 * e / (dd * dd);
        return x < 0 ? -t : t;
    }

    /** d tanh(x)/dx = sech²(x), accurate in relative terms for every x (no 1 − tanh² cancellation). */
    public static double sech2(double x) {
        double a = Math.abs(x);
        if (a < SERIES_BELOW) {
            double t = tanh(x);
            return 1 - t * t;
        }
        double e = FastExp.exp(-2 * a);
        double d = 1 + e;
        return 4 * e / (d * d);
    }

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        INDArray c = Arrays2.rowMajor(in) ? in : in.dup('c');
        double[] x = Arrays2.readInto(c, scratch(0, c.length()));
        int n = (int) c.length();
        tanh(x, x, n, false);
        Arrays2.writeFrom(x, c);
        if (c != in) {
            in.assign(c);
        }
        return in;
    }

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        INDArray c = Arrays2.rowMajor(in) ? in : in.dup('c');
        INDArray g = Arrays2.rowMajor(epsilon) && epsilon.dataType() == in.dataType()
                ? epsilon : epsilon.castTo(in.dataType()).dup('c');
        double[] x = Arrays2.readInto(c, scratch(0, c.length()));
        double[] e = Arrays2.readInto(g, scratch(1, c.length()));
        int n = (int) c.length();
        for (int i = 0; i < n; i++) {
            x[i] = e[i] * sech2(x[i]);
        }
        Arrays2.writeFrom(x, c);
        if (c != in) {
            in.assign(c);
        }
        return new Pair<>(in, null);
    }

    private static double[] scratch(int which, long length) {
        return SCRATCH.get(which, length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExactTanh;
    }

    @Override
    public int hashCode() {
        return ExactTanh.class.hashCode();
    }

    @Override
    public String toString() {
        return "tanh";
    }
}
