package io.gradflow.model;

/**
 * e^x in double precision for the fused blocks' activations (sigmoid, tanh, ELU, SELU), one value at a time or
 * over an array, with the array form running on the JDK's Vector API where the JVM has it
 * ({@code --add-modules jdk.incubator.vector}, which gradflow's launchers, Spark defaults and tests pass).
 *
 * <p>Why: {@code Math.exp} costs 7–9 ns per element on this project's machine and HotSpot (17 and 25) does not
 * vectorize a loop around it, nor a loop around a polynomial with the exponent-bit scaling below; the exponential
 * was about a fifth of the quick grid's training time, where PyTorch's vectorized kernels pay a fraction of a
 * nanosecond (BENCHMARKS.md). The Vector API form of the same operations takes about 2.7 ns per element in double.
 *
 * <p>The method: Cody–Waite reduction {@code x = k·ln2 + r}, |r| ≤ ln2/2, with fdlibm's two-part ln2 (its high part
 * has trailing zeros, so {@code k·ln2_hi} is exact for every k used here), k found by adding 1.5·2^52; the Taylor
 * polynomial of degree 13 for e^r in Horner form (truncation below 5·10^-18 relative); then 2^k by building the
 * exponent bits. Within 2 units in the last place of {@code Math.exp} over the whole range ({@code FastExpTest});
 * below −708 the result is 0 and above 709 it is +∞ (where {@code Math.exp} gives subnormals or values above
 * 8·10^307 there: no difference that survives a sum with 1 or a rounding to float); NaN gives NaN.
 *
 * <p>The scalar form and the vector form perform the same IEEE operations in the same order (Java never fuses a
 * multiply and an add), so they return the same bits on every machine and whatever the vector width: results stay
 * bit-identical between a JVM with the Vector API and one without, and between executors with and without AVX-512.
 */
public final class FastExp {

    static final double LOG2E = 0x1.71547652b82fep0;
    /** fdlibm's ln2_hi and ln2_lo. */
    static final double LN2_HI = 0x1.62e42feep-1;
    static final double LN2_LO = 0x1.a39ef35793c76p-33;
    /** 1.5·2^52: adding it rounds to an integer, which the low bits of the sum then hold. */
    static final double SHIFTER = 0x1.8p52;
    static final long SHIFTER_BITS_LESS_BIAS = 0x4338000000000000L - 1023L;
    static final double LO = -708.0;
    static final double HI = 709.0;
    /** Horner coefficients of the degree-13 Taylor polynomial, highest first: 1/13!, 1/12!, ..., 1/2!, 1, 1. */
    static final double[] C = coefficients();

    private static final boolean VECTOR = vectorAvailable();
    private static final VectorWarmUp WARM = new VectorWarmUp(FastExp::warmUpBody);

    private FastExp() {
    }

    private static double[] coefficients() {
        double[] c = new double[14];
        double f = 1;
        for (int n = 1; n <= 13; n++) {
            f *= n;
            c[13 - n] = 1 / f; // 1/n! at index 13 − n
        }
        c[13] = 1;
        return c;
    }

    private static boolean vectorAvailable() {
        if (Boolean.getBoolean("gradflow.vector.off")) {
            return false;
        }
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The vector form's warm-up ({@link VectorWarmUp}: once per JVM, before the first real call). */
    private static void warmUpBody() {
        double[] a = new double[16];
        for (int call = 0; call < 6_000; call++) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (i - 8) * 0.37 + call * 1e-4;
            }
            VectorExp.exp(a, a.length);
        }
    }

    /**
     * Whether {@link #exp(double[], int)} runs on the Vector API in this JVM (same results either way):
     * {@code jdk.incubator.vector} resolved, and {@code -Dgradflow.vector.off=true} not set (which forces the scalar
     * form, for comparisons).
     */
    public static boolean vectorized() {
        return VECTOR;
    }

    /** e^x, as described above. */
    public static double exp(double x) {
        double v = x < LO ? LO : x;
        v = v > HI ? HI : v;
        double t = v * LOG2E + SHIFTER;
        double k = t - SHIFTER;
        double r = v - k * LN2_HI - k * LN2_LO;
        double[] c = C;
        double p = c[0];
        for (int j = 1; j < c.length; j++) {
            p = p * r + c[j];
        }
        long bits = (Double.doubleToRawLongBits(t) - SHIFTER_BITS_LESS_BIAS) << 52;
        double e = p * Double.longBitsToDouble(bits);
        e = x < LO ? 0.0 : e;
        return x > HI ? Double.POSITIVE_INFINITY : e;
    }

    /** In place, {@code a[i] = exp(a[i])} for the first {@code len} values: the same bits as {@link #exp(double)}. */
    public static void exp(double[] a, int len) {
        if (VECTOR) {
            WARM.ensure();
            VectorExp.exp(a, len);
        } else {
            scalar(a, 0, len);
        }
    }

    /** {@link #exp(double)} over {@code a[from, to)}, in place: the vector form's tail and its fallback. */
    static void scalar(double[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            a[i] = exp(a[i]);
        }
    }
}
