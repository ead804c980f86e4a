package io.gradflow.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ExactTanh}'s array loop on the JDK's incubating Vector API: tanh and sech² from the exponentials
 * e = exp(−2|x|), both of the scalar loop's branches computed in every lane (the series below 2^-5, the quotient
 * form above) and the lane's one picked by a mask, with the scalar form's operations in its order, so the same bits.
 * Why: the scalar loop's branch and its two divisions per element kept the JIT from vectorizing it; with the
 * exponentials already vectorized ({@link VectorExp}) this loop was most of a tanh block's activation time. Loaded
 * only where the JVM resolved {@code jdk.incubator.vector} ({@link FastExp#vectorized()}).
 */
final class VectorTanh {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private VectorTanh() {
    }

    /**
     * For {@code i} in {@code [0, bound)}, {@code y[i] = tanh(x[i])} (unrounded) and, where {@code d} is not null,
     * {@code d[i] = sech²(x[i])}, given {@code e[i] = exp(−2|x[i]|)}; returns {@code bound}, the number of values
     * done (a multiple of the vector length), after which the caller's scalar loop goes on.
     */
    static int tanh(double[] x, double[] e, double[] y, double[] d, int len) {
        int bound = S.loopBound(len);
        for (int i = 0; i < bound; i += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            DoubleVector ei = DoubleVector.fromArray(S, e, i);
            DoubleVector up = ei.add(1.0);
            // t = (1 − e)/(1 + e), negated where x < 0 (a NaN compares false and stays as it is)
            DoubleVector t = DoubleVector.broadcast(S, 1.0).sub(ei).div(up);
            t = t.blend(t.neg(), v.lt(0.0));
            // below 2^-5: the series, as ExactTanh.tanh(double) evaluates it
            VectorMask<Double> series = v.abs().lt(ExactTanh.SERIES_BELOW);
            DoubleVector x2 = v.mul(v);
            DoubleVector ts = v.mul(x2.mul(x2.mul(x2.mul(x2.mul(62.0 / 2835).add(-17.0 / 315)).add(2.0 / 15))
                    .add(-1.0 / 3)).add(1.0));
            DoubleVector tv = t.blend(ts, series);
            tv.intoArray(y, i);
            if (d != null) {
                DoubleVector dq = ei.mul(4.0).div(up.mul(up));
                DoubleVector ds = DoubleVector.broadcast(S, 1.0).sub(ts.mul(ts));
                dq.blend(ds, series).intoArray(d, i);
            }
        }
        return bound;
    }
}
