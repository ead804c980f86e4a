package io.gradflow.trial;

import io.gradflow.model.VectorWarmUp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Stats#maxAbsBits}'s loop on the JDK's incubating Vector API: the largest |x[i]| as an IEEE bit pattern,
 * and how many entries are not finite. A maximum has no rounding and no order (every order gives the same bits), so
 * the lanes may take the elements in any grouping. Why: the statistics' maximum passes were dependency chains of
 * {@code Math.max} at about 1 ns per element, as slow as their ordered sums; the bit patterns' integer maximum on
 * vector lanes takes about 0.13 ns (BENCHMARKS.md). Loaded only where the JVM resolved {@code jdk.incubator.vector}
 * ({@link io.gradflow.model.FastExp#vectorized()}); {@link Stats} falls back to its scalar loop.
 */
final class VectorStats {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    /** Once per JVM, before the first real call ({@link VectorWarmUp}). */
    private static final VectorWarmUp WARM = new VectorWarmUp(() -> {
        double[] x = new double[2 * D.length() + 3];
        double[] out = new double[1];
        for (int call = 0; call < 6_000; call++) {
            x[call % x.length] = call - 3_000;
            maxAbsBitsLoop(x, x.length);
            maxAbsBitsLoop(x, x.length, out);
        }
    });

    private VectorStats() {
    }

    /** As {@link Stats#maxAbsBits(double[], int)}. */
    static long maxAbsBits(double[] x, int n) {
        WARM.ensure();
        return maxAbsBitsLoop(x, n);
    }

    /** As {@link Stats#maxAbsBits(double[], int, double[])}: also the number of non-finite entries in {@code nonFinite[0]}. */
    static long maxAbsBits(double[] x, int n, double[] nonFinite) {
        WARM.ensure();
        return maxAbsBitsLoop(x, n, nonFinite);
    }

    /**
     * Whether the sums run here: the machine's preferred vector holds eight doubles (AVX-512), one lane per partial
     * sum. Elsewhere {@link Stats} runs the same partial sums as scalar chains, with the same bits. Only the preferred
     * species is used: a second vector shape in the same JVM pollutes the type profiles of the Vector API's shared
     * code, and the JIT then stops compiling it into vector instructions (every loop of the JVM allocating objects:
     * trials 2–4 times slower, seen in BENCHMARKS.md).
     */
    static final boolean SUMS = D.length() == 8;

    /** Once per JVM, before the first sum ({@link VectorWarmUp}). */
    private static final VectorWarmUp WARM_SUMS = new VectorWarmUp(() -> {
        double[] x = new double[35];
        double[] out = new double[3];
        for (int call = 0; call < 6_000; call++) {
            x[call % x.length] = call - 3_000;
            sumLoop(x, x.length);
            absSumLoop(x, x.length);
            deviationsLoop(x, x.length, 1.5);
            scaledLoop(x, x.length, 1, 0.5);
            absAndSquaresLoop(x, x, x.length, 1, 0.5, 1, 0.25, out);
        }
    });

    /** As {@link Stats#sum(double[], int)}: Σ x. */
    static double sum(double[] x, int n) {
        WARM_SUMS.ensure();
        return sumLoop(x, n);
    }

    /** As {@link Stats#sumAbs(double[], int)}: Σ |x|. */
    static double sumAbs(double[] x, int n) {
        WARM_SUMS.ensure();
        return absSumLoop(x, n);
    }

    /** As {@link Stats#sumOfSquaredDeviations}: Σ (x − m)². */
    static double sumOfSquaredDeviations(double[] x, int n, double m) {
        WARM_SUMS.ensure();
        return deviationsLoop(x, n, m);
    }

    /** As {@link Stats#scaledSumOfSquares}: Σ (x·lift·inv)². */
    static double scaledSumOfSquares(double[] x, int n, double lift, double inv) {
        WARM_SUMS.ensure();
        return scaledLoop(x, n, lift, inv);
    }

    /** As {@link Stats#absAndSquares}: Σ |g|, Σ (g·lift·inv)², Σ (w·wLift·wInv)² in one pass. */
    static void absAndSquares(double[] g, double[] w, int n, double lift, double inv, double wLift, double wInv,
                              double[] out) {
        WARM_SUMS.ensure();
        absAndSquaresLoop(g, w, n, lift, inv, wLift, wInv, out);
    }

    /** The eight lanes (the eight partial sums) added in {@link Stats#combine}'s order. */
    private static double combine(DoubleVector v) {
        return ((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3))) + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7)));
    }

    // The tails: the last n mod 8 terms go into a zeroed scratch vector, term k in lane k, which is added to the
    // partial sums: partial k gets term k, the others +0.0, which leaves them as they are (a partial sum that starts
    // at +0.0 is never −0.0). No allocation.

    private static double sumLoop(double[] x, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            acc = acc.add(DoubleVector.fromArray(D, x, i));
        }
        if (i < n) {
            double[] t = Stats.scratch(8);
            for (int k = 0; i + k < n; k++) {
                t[k] = x[i + k];
            }
            acc = acc.add(DoubleVector.fromArray(D, t, 0));
        }
        return combine(acc);
    }

    private static double absSumLoop(double[] x, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            acc = acc.add(DoubleVector.fromArray(D, x, i).abs());
        }
        if (i < n) {
            double[] t = Stats.scratch(8);
            for (int k = 0; i + k < n; k++) {
                t[k] = Math.abs(x[i + k]);
            }
            acc = acc.add(DoubleVector.fromArray(D, t, 0));
        }
        return combine(acc);
    }

    private static double deviationsLoop(double[] x, int n, double m) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            DoubleVector a = DoubleVector.fromArray(D, x, i).sub(m);
            acc = acc.add(a.mul(a));
        }
        if (i < n) {
            double[] t = Stats.scratch(8);
            for (int k = 0; i + k < n; k++) {
                double d = x[i + k] - m;
                t[k] = d * d;
            }
            acc = acc.add(DoubleVector.fromArray(D, t, 0));
        }
        return combine(acc);
    }

    private static double scaledLoop(double[] x, int n, double lift, double inv) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            DoubleVector a = DoubleVector.fromArray(D, x, i).mul(lift).mul(inv);
            acc = acc.add(a.mul(a));
        }
        if (i < n) {
            double[] t = Stats.scratch(8);
            for (int k = 0; i + k < n; k++) {
                double v = x[i + k] * lift * inv;
                t[k] = v * v;
            }
            acc = acc.add(DoubleVector.fromArray(D, t, 0));
        }
        return combine(acc);
    }

    private static void absAndSquaresLoop(double[] g, double[] w, int n, double lift, double inv, double wLift,
                                          double wInv, double[] out) {
        DoubleVector a = DoubleVector.zero(D);
        DoubleVector s = a;
        DoubleVector q = a;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            DoubleVector x = DoubleVector.fromArray(D, g, i);
            a = a.add(x.abs());
            DoubleVector t = x.mul(lift).mul(inv);
            s = s.add(t.mul(t));
            DoubleVector u = DoubleVector.fromArray(D, w, i).mul(wLift).mul(wInv);
            q = q.add(u.mul(u));
        }
        if (i < n) {
            double[] t = Stats.scratch(24);
            for (int k = 0; i + k < n; k++) {
                double v = g[i + k];
                t[k] = Math.abs(v);
                double y = v * lift * inv;
                t[8 + k] = y * y;
                double u = w[i + k] * wLift * wInv;
                t[16 + k] = u * u;
            }
            a = a.add(DoubleVector.fromArray(D, t, 0));
            s = s.add(DoubleVector.fromArray(D, t, 8));
            q = q.add(DoubleVector.fromArray(D, t, 16));
        }
        out[0] = combine(a);
        out[1] = combine(s);
        out[2] = combine(q);
    }

    private static long maxAbsBitsLoop(double[] x, int n) {
        LongVector max = LongVector.zero(L);
        int i = 0;
        for (int bound = D.loopBound(n); i < bound; i += D.length()) {
            max = max.max(DoubleVector.fromArray(D, x, i).reinterpretAsLongs().and(Stats.ABS_MASK));
        }
        long m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, Double.doubleToRawLongBits(x[i]) & Stats.ABS_MASK);
        }
        return m;
    }

    private static long maxAbsBitsLoop(double[] x, int n, double[] nonFinite) {
        LongVector max = LongVector.zero(L);
        long bad = 0;
        int i = 0;
        for (int bound = D.loopBound(n); i < bound; i += D.length()) {
            LongVector bits = DoubleVector.fromArray(D, x, i).reinterpretAsLongs().and(Stats.ABS_MASK);
            max = max.max(bits);
            bad += bits.compare(VectorOperators.GE, Stats.INFINITY_BITS).trueCount();
        }
        long m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            long bits = Double.doubleToRawLongBits(x[i]) & Stats.ABS_MASK;
            m = Math.max(m, bits);
            bad += bits >= Stats.INFINITY_BITS ? 1 : 0;
        }
        nonFinite[0] = bad;
        return m;
    }
}
