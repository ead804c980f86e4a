package io.gradflow.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FastExp}'s array form on the JDK's incubating Vector API: the same operations, lane by lane, at the widest
 * vector the CPU has. Loaded only where the JVM resolved {@code jdk.incubator.vector} ({@link FastExp} checks first).
 */
final class VectorExp {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    private VectorExp() {
    }

    static void exp(double[] a, int len) {
        double[] c = FastExp.C;
        int upper = S.loopBound(len);
        int i = 0;
        for (; i < upper; i += S.length()) {
            DoubleVector x = DoubleVector.fromArray(S, a, i);
            // max/min as Math.max/min: NaN stays NaN, as in the scalar form's comparisons
            DoubleVector v = x.max(FastExp.LO).min(FastExp.HI);
            DoubleVector t = v.mul(FastExp.LOG2E).add(FastExp.SHIFTER);
            DoubleVector k = t.sub(FastExp.SHIFTER);
            DoubleVector r = v.sub(k.mul(FastExp.LN2_HI)).sub(k.mul(FastExp.LN2_LO));
            DoubleVector p = DoubleVector.broadcast(S, c[0]);
            for (int j = 1; j < c.length; j++) {
                p = p.mul(r).add(c[j]);
            }
            LongVector bits = ((LongVector) t.reinterpretAsLongs()).sub(FastExp.SHIFTER_BITS_LESS_BIAS)
                    .lanewise(VectorOperators.LSHL, 52);
            DoubleVector e = p.mul((DoubleVector) bits.reinterpretAsDoubles());
            e = e.blend(0.0, x.lt(FastExp.LO)).blend(Double.POSITIVE_INFINITY, x.compare(VectorOperators.GT, FastExp.HI));
            e.intoArray(a, i);
        }
        FastExp.scalar(a, i, len);
    }
}
