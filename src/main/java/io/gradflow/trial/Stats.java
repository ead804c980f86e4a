package io.gradflow.trial;

import io.gradflow.model.FastExp;

/**
 * Pure statistics over plain arrays, so that every definition in the README is unit-tested on hand-computed
 * inputs without DL4J or Spark. All accumulate in double. Norms are Euclidean norms (not squared) unless the
 * name says otherwise. Non-finite entries propagate into norms and means (a NaN gradient must be visible),
 * and are counted separately by {@link #nonFiniteCount}.
 *
 * <p>Every sum over an array runs in one fixed order, the same on every machine: element {@code i} goes to partial
 * sum {@code i mod 8}, each partial sum adds its elements in index order, and the eight are added as
 * {@code ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))}. Why: a sum in index order is one chain of dependent
 * additions (about 4 cycles per element); the eight chains run on the eight lanes of an AVX-512 vector
 * ({@link VectorStats}) or, elsewhere, as eight scalar chains, with the same bits, and a sampled step's statistics
 * cost about a fifth less of a trial (BENCHMARKS.md). As accurate (eight shorter chains), as reproducible; only the
 * last bits differ from an index-order sum's.
 */
public final class Stats {

    private Stats() {
    }

    /** Whether the maxima run on the Vector API ({@link VectorStats}); the same answers either way. */
    private static final boolean VECTOR = FastExp.vectorized();
    /** Whether the sums run on the Vector API's eight-lane vectors ({@link VectorStats#SUMS}); the same answers either way. */
    private static final boolean VECTOR_SUMS = VECTOR && VectorStats.SUMS;

    /** The sign bit cleared: a double's |x| as bits. */
    static final long ABS_MASK = 0x7fff_ffff_ffff_ffffL;
    /** +∞'s bits: |x|'s bits are at least this exactly when x is infinite or NaN (a NaN's are above it). */
    static final long INFINITY_BITS = 0x7ff0_0000_0000_0000L;

    /**
     * The largest |x[i]| of the first {@code n} entries as an IEEE bit pattern (0 for none). With the sign cleared,
     * doubles order as their bits do as longs: finite values below +∞ below every NaN. So this is max |x| when every
     * entry is finite, +∞'s bits when the largest is infinite and there is no NaN, and a NaN's bits when there is a
     * NaN; no rounding and no order of evaluation, so the same answer from the vector and the scalar loop. Why: the
     * maximum passes of the statistics were chains of {@code Math.max}, about 1 ns per element; this runs on vector
     * lanes ({@link VectorStats}) where the JVM has the Vector API.
     */
    static long maxAbsBits(double[] x, int n) {
        return VECTOR ? VectorStats.maxAbsBits(x, n) : scalarMaxAbsBits(x, n);
    }

    /** {@link #maxAbsBits(double[], int)} without the Vector API (two chains of integer maxima). */
    static long scalarMaxAbsBits(double[] x, int n) {
        long m0 = 0;
        long m1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            m0 = Math.max(m0, Double.doubleToRawLongBits(x[i]) & ABS_MASK);
            m1 = Math.max(m1, Double.doubleToRawLongBits(x[i + 1]) & ABS_MASK);
        }
        if (i < n) {
            m0 = Math.max(m0, Double.doubleToRawLongBits(x[i]) & ABS_MASK);
        }
        return Math.max(m0, m1);
    }

    /** {@link #maxAbsBits(double[], int)}, and in {@code nonFinite[0]} the number of NaN or infinite entries. */
    static long maxAbsBits(double[] x, int n, double[] nonFinite) {
        return VECTOR ? VectorStats.maxAbsBits(x, n, nonFinite) : scalarMaxAbsBits(x, n, nonFinite);
    }

    /** {@link #maxAbsBits(double[], int, double[])} without the Vector API. */
    static long scalarMaxAbsBits(double[] x, int n, double[] nonFinite) {
        long m = 0;
        long bad = 0;
        for (int i = 0; i < n; i++) {
            long bits = Double.doubleToRawLongBits(x[i]) & ABS_MASK;
            m = Math.max(m, bits);
            bad += bits >= INFINITY_BITS ? 1 : 0;
        }
        nonFinite[0] = bad;
        return m;
    }

    /** The value of {@link #maxAbsBits}: max |x| (+∞ included), or NaN when there was a NaN. */
    private static double maxAbsValue(long bits) {
        return bits > INFINITY_BITS ? Double.NaN : Double.longBitsToDouble(bits);
    }

    /** ‖x‖₂ = sqrt(Σ x²), computed with scaling so that large finite values do not overflow. 0 for empty. */
    public static double l2(double[] x) {
        return l2(x, x.length);
    }

    /** {@link #l2(double[])} of the first {@code n} entries. */
    public static double l2(double[] x, int n) {
        return l2GivenMax(x, n, maxAbsValue(maxAbsBits(x, n)));
    }

    /**
     * {@link #l2(double[], int)} when {@code max}, the largest |x[i]| of the first {@code n} entries (NaN if any is
     * NaN, 0 if {@code n} is 0), is known already: its second pass alone, so the same bits.
     */
    public static double l2GivenMax(double[] x, int n, double max) {
        if (Double.isNaN(max)) {
            return Double.NaN;
        }
        if (max == 0 || Double.isInfinite(max)) {
            return max;
        }
        // One pass of multiplications by 1/max: no overflow for huge values, no underflow for tiny ones. Values
        // near the subnormal range are lifted first, or 1/max itself would overflow.
        double lift = lift(max);
        double inv = 1.0 / (max * lift);
        return max * Math.sqrt(scaledSumOfSquares(x, n, lift, inv));
    }

    /** This thread's working array for partial sums, its first {@code len} (at most 24) entries zeroed. */
    static double[] scratch(int len) {
        double[] s = SCRATCH.get();
        java.util.Arrays.fill(s, 0, len, 0.0);
        return s;
    }

    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[24]);

    /** The eight partial sums starting at {@code p[from]}, added in their fixed order. */
    static double combine(double[] p, int from) {
        return ((p[from] + p[from + 1]) + (p[from + 2] + p[from + 3]))
                + ((p[from + 4] + p[from + 5]) + (p[from + 6] + p[from + 7]));
    }

    /** Σ x[i] over the first {@code n} entries, in the partial sums' order. */
    static double sum(double[] x, int n) {
        return VECTOR_SUMS ? VectorStats.sum(x, n) : scalarSum(x, n, 0, 0);
    }

    /** Σ |x[i]| over the first {@code n} entries, in the partial sums' order. */
    static double sumAbs(double[] x, int n) {
        return VECTOR_SUMS ? VectorStats.sumAbs(x, n) : scalarSum(x, n, 1, 0);
    }

    /** Σ (x[i] − m)² over the first {@code n} entries, in the partial sums' order. */
    static double sumOfSquaredDeviations(double[] x, int n, double m) {
        return VECTOR_SUMS ? VectorStats.sumOfSquaredDeviations(x, n, m) : scalarSum(x, n, 2, m);
    }

    /** Σ (x[i]·lift·inv)² over the first {@code n} entries, in the partial sums' order. */
    static double scaledSumOfSquares(double[] x, int n, double lift, double inv) {
        return VECTOR_SUMS ? VectorStats.scaledSumOfSquares(x, n, lift, inv) : scalarScaledSumOfSquares(x, n, lift, inv);
    }

    /** {@link #scaledSumOfSquares} without the Vector API. */
    static double scalarScaledSumOfSquares(double[] x, int n, double lift, double inv) {
        double[] p = scratch(8);
        for (int i = 0; i < n; i++) {
            double t = x[i] * lift * inv;
            p[i & 7] += t * t;
        }
        return combine(p, 0);
    }

    /**
     * Σ |g[i]|, Σ (g[i]·lift·inv)² and Σ (w[i]·wLift·wInv)² over the first {@code n} entries into {@code out[0..2]},
     * each in the partial sums' order, in one pass.
     */
    static void absAndSquares(double[] g, double[] w, int n, double lift, double inv, double wLift, double wInv,
                              double[] out) {
        if (VECTOR_SUMS) {
            VectorStats.absAndSquares(g, w, n, lift, inv, wLift, wInv, out);
        } else {
            scalarAbsAndSquares(g, w, n, lift, inv, wLift, wInv, out);
        }
    }

    /** {@link #absAndSquares} without the Vector API. */
    static void scalarAbsAndSquares(double[] g, double[] w, int n, double lift, double inv, double wLift, double wInv,
                                    double[] out) {
        double[] p = scratch(24); // Σ|g| in 0–7, Σ(g·lift·inv)² in 8–15, Σ(w·wLift·wInv)² in 16–23
        for (int i = 0; i < n; i++) {
            double v = g[i];
            p[i & 7] += Math.abs(v);
            double t = v * lift * inv;
            p[8 + (i & 7)] += t * t;
            double y = w[i] * wLift * wInv;
            p[16 + (i & 7)] += y * y;
        }
        out[0] = combine(p, 0);
        out[1] = combine(p, 8);
        out[2] = combine(p, 16);
    }

    /** The partial sums without the Vector API: kind 0 Σx, 1 Σ|x|, 2 Σ(x − m)². */
    static double scalarSum(double[] x, int n, int kind, double m) {
        double[] p = scratch(8);
        for (int i = 0; i < n; i++) {
            double v = x[i];
            p[i & 7] += kind == 1 ? Math.abs(v) : kind == 2 ? (v - m) * (v - m) : v;
        }
        return combine(p, 0);
    }

    /**
     * What the weight-gradient statistics need of a layer's gradient {@code g} and its weights {@code w}, in two
     * passes over their first {@code n} entries: {@code out[0]} the number of non-finite entries of {@code g}
     * ({@link #nonFiniteCount}), {@code out[1]} max |g| (NaN if any entry is NaN or {@code n} is 0, as
     * {@link #maxAbs(double[], int)}), {@code out[2]} Σ|g| (what {@link #meanAbs} divides),
     * {@code out[3]} ‖g‖₂ ({@link #l2(double[], int)}) and {@code out[4]} ‖w‖₂ as
     * {@code l2GivenMax(w, n, finiteMaxAbs(w, n))} (NaN when {@code w} holds a non-finite value). The same bits as
     * those functions ({@code StatsTest}). Why: the first pass (counts and maxima) runs on vector lanes and the
     * second carries the three sums side by side, each in its partial sums, so the five statistics cost less than
     * one index-order sum did (BENCHMARKS.md).
     */
    public static void absSummaryAndNorm(double[] g, double[] w, int n, double[] out) {
        double max = maxAbsValue(maxAbsBits(g, n, out));
        double nonFinite = out[0];
        double wMax = finiteMaxAbs(w, n);
        double lift = lift(max);
        double inv = 1.0 / (max * lift);
        double wLift = lift(wMax);
        double wInv = 1.0 / (wMax * wLift);
        absAndSquares(g, w, n, lift, inv, wLift, wInv, out); // Σ|g|, Σ(g/max)², Σ(w/wMax)² into out[0..2] first
        double ssq = out[1];
        double wSsq = out[2];
        out[2] = out[0];
        out[0] = nonFinite;
        out[1] = n == 0 ? Double.NaN : max;
        out[3] = normFromSumOfSquares(max, ssq);
        out[4] = normFromSumOfSquares(wMax, wSsq);
    }

    /**
     * The factor that lifts values near the subnormal range before the norms scale them by 1/max (else 1/max itself
     * would overflow); 1 otherwise, and for a NaN maximum.
     */
    private static double lift(double max) {
        return max < 0x1.0p-500 ? 0x1.0p600 : 1.0;
    }

    /** {@link #l2GivenMax}'s result from its maximum and its scaled sum of squares. */
    private static double normFromSumOfSquares(double max, double ssq) {
        return Double.isNaN(max) ? Double.NaN : max == 0 || Double.isInfinite(max) ? max : max * Math.sqrt(ssq);
    }

    /** max |x| over the first {@code n} entries when every one is finite, else NaN (0 for none). */
    public static double finiteMaxAbs(double[] x, int n) {
        long bits = maxAbsBits(x, n);
        return bits >= INFINITY_BITS ? Double.NaN : Double.longBitsToDouble(bits);
    }

    /**
     * What {@link #mean} and {@link #fractionOutside} divide: {@code out[0]} Σx, {@code out[1]} the number of entries
     * below {@code low} or above {@code high}. The same bits as the two functions.
     */
    public static void sumAndOutside(double[] x, double low, double high, double[] out) {
        long outside = 0;
        if (low != Double.NEGATIVE_INFINITY || high != Double.POSITIVE_INFINITY) {
            for (double v : x) {
                outside += v < low || v > high ? 1 : 0;
            }
        }
        out[0] = sum(x, x.length);
        out[1] = outside;
    }

    /** {@link #std} given the mean {@code m} of {@code x} (its second pass alone: the same bits). */
    public static double stdGivenMean(double[] x, double m) {
        if (x.length == 0) {
            return Double.NaN;
        }
        return Math.sqrt(sumOfSquaredDeviations(x, x.length, m) / x.length);
    }

    /** mean |x|; NaN for an empty array. */
    public static double meanAbs(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        return sumAbs(x, x.length) / x.length;
    }

    /** max |x|; NaN if any entry is NaN or the array is empty. */
    public static double maxAbs(double[] x) {
        return maxAbs(x, x.length);
    }

    /** {@link #maxAbs(double[])} of the first {@code n} entries. */
    public static double maxAbs(double[] x, int n) {
        return n == 0 ? Double.NaN : maxAbsValue(maxAbsBits(x, n));
    }

    /** Number of NaN or infinite entries. */
    public static long nonFiniteCount(double[] x) {
        long n = 0;
        for (double v : x) {
            if (!Double.isFinite(v)) {
                n++;
            }
        }
        return n;
    }

    /** Arithmetic mean; NaN for an empty array. */
    public static double mean(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        return sum(x, x.length) / x.length;
    }

    /** Population standard deviation (divides by n), two-pass for accuracy; NaN for an empty array. */
    public static double std(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        return stdGivenMean(x, mean(x));
    }

    /** Share of entries below {@code low} or above {@code high}; NaN for an empty array. */
    public static double fractionOutside(double[] x, double low, double high) {
        if (x.length == 0) {
            return Double.NaN;
        }
        long n = 0;
        for (double v : x) {
            if (v < low || v > high) {
                n++;
            }
        }
        return (double) n / x.length;
    }

    /**
     * Share of units (columns) that are at or below zero for every example (row) of the batch: units that pass
     * no signal forward and, for ReLU, no gradient back. {@code x} is row-major {@code rows × cols}.
     */
    public static double deadFraction(double[] x, int rows, int cols) {
        if (rows * cols != x.length) {
            throw new IllegalArgumentException("array of " + x.length + " values is not " + rows + " × " + cols);
        }
        if (cols == 0) {
            return Double.NaN;
        }
        int dead = 0;
        for (int c = 0; c < cols; c++) {
            boolean alive = false;
            for (int r = 0; r < rows && !alive; r++) {
                alive = x[r * cols + c] > 0;
            }
            if (!alive) {
                dead++;
            }
        }
        return (double) dead / cols;
    }

    /**
     * log10(first / last): the decades of gradient gained (positive) or lost (negative) from the last hidden
     * block back to the first. NaN when either is not a positive finite number, or with fewer than one block.
     */
    public static double flowLog10(double[] normsByBlock) {
        if (normsByBlock.length == 0) {
            return Double.NaN;
        }
        double first = normsByBlock[0];
        double last = normsByBlock[normsByBlock.length - 1];
        if (!(first > 0) || !(last > 0) || Double.isInfinite(first) || Double.isInfinite(last)) {
            return Double.NaN;
        }
        return Math.log10(first / last);
    }

    /**
     * True when the gradient reached the last hidden block but not the first: the last norm is a positive finite
     * number and the first is exactly 0. In float that is what a flow below about −45 decades looks like (the
     * first block's values fell below the smallest subnormal), so {@link #flowLog10} cannot say how far below;
     * it is the strongest vanishing there is, not an absence of data.
     */
    public static boolean flowUnderflow(double[] normsByBlock) {
        if (normsByBlock.length < 2) {
            return false;
        }
        double last = normsByBlock[normsByBlock.length - 1];
        return normsByBlock[0] == 0.0 && last > 0 && Double.isFinite(last);
    }

    /** True when every entry is a finite number (no NaN, no infinity). */
    public static boolean allFinite(double[] x) {
        return maxAbsBits(x, x.length) < INFINITY_BITS; // one vector pass, no branch per element
    }

    /**
     * Least-squares slope of log10(norm) against the block index 1..L: decades per block, positive when norms
     * grow toward the output (vanishing toward the input). NaN with fewer than two blocks or a non-positive norm.
     */
    public static double log10Slope(double[] normsByBlock) {
        int n = normsByBlock.length;
        if (n < 2) {
            return Double.NaN;
        }
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            double v = normsByBlock[i];
            if (!(v > 0) || Double.isInfinite(v)) {
                return Double.NaN;
            }
            double x = i + 1;
            double y = Math.log10(v);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    /** Mean of the finite values; NaN when there are none. */
    public static double meanFinite(double[] x) {
        double s = 0;
        int n = 0;
        for (double v : x) {
            if (Double.isFinite(v)) {
                s += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /**
     * The first step at which the trailing mean of the last {@code window} minibatch losses is at or below
     * {@code target}, or -1 if it never is. Smoothing keeps one lucky minibatch from counting as reaching it.
     */
    public static int stepsToTarget(double[] lossPerStep, double target, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window " + window + " must be at least 1");
        }
        // A fresh sum per window (w is small) so one NaN cannot poison every later window.
        for (int i = window - 1; i < lossPerStep.length; i++) {
            double sum = 0;
            for (int j = i - window + 1; j <= i; j++) {
                sum += lossPerStep[j];
            }
            if (sum / window <= target) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The lowest mean of {@code window} consecutive minibatch losses (finite windows only); NaN when there is
     * no complete finite window.
     */
    public static double minTrailingMean(double[] lossPerStep, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window " + window + " must be at least 1");
        }
        double best = Double.NaN;
        for (int i = window - 1; i < lossPerStep.length; i++) {
            double sum = 0;
            for (int j = i - window + 1; j <= i; j++) {
                sum += lossPerStep[j];
            }
            double m = sum / window;
            if (Double.isFinite(m) && !(m >= best)) {
                best = m;
            }
        }
        return best;
    }
}
