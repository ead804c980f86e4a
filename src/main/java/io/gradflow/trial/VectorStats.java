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
