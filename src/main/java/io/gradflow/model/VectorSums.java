package io.gradflow.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DenseGemm#columnSums(float[], int, int, double[])} on the JDK's incubating Vector API: each float widened
 * exactly to double and added to its column's sum, rows in order, as the scalar loop does, so the same bits. Why:
 * the JIT of JDK 17 does not vectorize a loop that widens floats, and this sum (a float block's bias gradient) was
 * the largest Java loop of a float ReLU step. Loaded only where the JVM resolved {@code jdk.incubator.vector}.
 */
final class VectorSums {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class,
            VectorShape.forBitSize(Math.max(64, D.vectorBitSize() / 2)));

    private VectorSums() {
    }

    private static volatile boolean warm;

    /** Runs the loop until the JIT has compiled it, once per JVM (see {@link FastExp}'s warm-up for why). */
    private static synchronized void warmUp() {
        if (warm) {
            return;
        }
        float[] d = new float[4 * 32];
        double[] out = new double[32];
        for (int call = 0; call < 3_000; call++) {
            d[call % d.length] = call;
            sums(d, 4, 32, out);
        }
        warm = true;
    }

    /** {@code out[j] = Σ_row d[row][j]} in double over an {@code r × n} row-major float array. */
    static void columnSums(float[] d, int r, int n, double[] out) {
        if (!warm) {
            warmUp();
        }
        sums(d, r, n, out);
    }

    private static void sums(float[] d, int r, int n, double[] out) {
        java.util.Arrays.fill(out, 0, n, 0.0);
        int lanes = Math.min(D.length(), F.length());
        int bound = n - n % lanes;
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            if (F.length() == D.length()) {
                for (; j < bound; j += lanes) {
                    DoubleVector w = (DoubleVector) FloatVector.fromArray(F, d, o + j)
                            .convertShape(VectorOperators.F2D, D, 0);
                    DoubleVector.fromArray(D, out, j).add(w).intoArray(out, j);
                }
            }
            for (; j < n; j++) {
                out[j] += d[o + j];
            }
        }
    }
}
