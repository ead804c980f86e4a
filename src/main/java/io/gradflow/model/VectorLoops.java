package io.gradflow.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused layers' loops between float and double on the JDK's incubating Vector API: widening floats to doubles,
 * rounding doubles to float, and the float path's column sums in double. Each lane does what the scalar loop does to
 * its element (conversions are exact or correctly rounded either way, sums keep their order), so the same bits.
 * Why: the JIT of JDK 17 vectorizes no loop that converts between float and double, and in a JFR profile of the
 * quick grid these loops (the copies between the native float buffers and the blocks' double arrays, the roundings
 * to float, the float ReLU blocks' bias sums) were about a fifth of the Java time of a step. Loaded only where the
 * JVM resolved {@code jdk.incubator.vector} ({@link FastExp#vectorized()}); callers fall back to their loops.
 */
final class VectorLoops {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class,
            VectorShape.forBitSize(Math.max(64, D.vectorBitSize() / 2)));
    /** Whether one float vector converts to one double vector of the same lane count (it does on x86 and ARM). */
    private static final boolean PAIRED = F.length() == D.length();

    /** The loops' warm-up ({@link VectorWarmUp}: once per JVM, before the first real call). */
    private static final VectorWarmUp WARM = new VectorWarmUp(() -> {
        float[] f = new float[4 * 32];
        double[] d = new double[4 * 32];
        double[] out = new double[32];
        for (int call = 0; call < 3_000; call++) {
            f[call % f.length] = call;
            sums(f, 4, 32, out);
            widenLoop(f, d, d.length);
            narrowLoop(d, f, f.length);
            roundLoop(d, d.length);
        }
    });

    private VectorLoops() {
    }

    /** {@code out[j] = Σ_row d[row][j]} in double over an {@code r × n} row-major float array. */
    static void columnSums(float[] d, int r, int n, double[] out) {
        WARM.ensure();
        sums(d, r, n, out);
    }

    /** {@code dst[i] = src[i]} (exact) for the first {@code len} values. */
    static void widen(float[] src, double[] dst, int len) {
        WARM.ensure();
        widenLoop(src, dst, len);
    }

    /** {@code dst[i] = (float) src[i]} for the first {@code len} values. */
    static void narrow(double[] src, float[] dst, int len) {
        WARM.ensure();
        narrowLoop(src, dst, len);
    }

    /** {@code v[i] = (float) v[i]}, in place, for the first {@code len} values. */
    static void roundToFloat(double[] v, int len) {
        WARM.ensure();
        roundLoop(v, len);
    }

    private static void sums(float[] d, int r, int n, double[] out) {
        java.util.Arrays.fill(out, 0, n, 0.0);
        int bound = PAIRED ? n - n % D.length() : 0;
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += D.length()) {
                DoubleVector w = (DoubleVector) FloatVector.fromArray(F, d, o + j)
                        .convertShape(VectorOperators.F2D, D, 0);
                DoubleVector.fromArray(D, out, j).add(w).intoArray(out, j);
            }
            for (; j < n; j++) {
                out[j] += d[o + j];
            }
        }
    }

    private static void widenLoop(float[] src, double[] dst, int len) {
        int bound = PAIRED ? len - len % D.length() : 0;
        int i = 0;
        for (; i < bound; i += D.length()) {
            ((DoubleVector) FloatVector.fromArray(F, src, i).convertShape(VectorOperators.F2D, D, 0)).intoArray(dst, i);
        }
        for (; i < len; i++) {
            dst[i] = src[i];
        }
    }

    private static void narrowLoop(double[] src, float[] dst, int len) {
        int bound = PAIRED ? len - len % D.length() : 0;
        int i = 0;
        for (; i < bound; i += D.length()) {
            ((FloatVector) DoubleVector.fromArray(D, src, i).convertShape(VectorOperators.D2F, F, 0)).intoArray(dst, i);
        }
        for (; i < len; i++) {
            dst[i] = (float) src[i];
        }
    }

    private static void roundLoop(double[] v, int len) {
        int bound = PAIRED ? len - len % D.length() : 0;
        int i = 0;
        for (; i < bound; i += D.length()) {
            ((DoubleVector) DoubleVector.fromArray(D, v, i).convertShape(VectorOperators.D2F, F, 0)
                    .convertShape(VectorOperators.F2D, D, 0)).intoArray(v, i);
        }
        for (; i < len; i++) {
            v[i] = (float) v[i];
        }
    }
}
