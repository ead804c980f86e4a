package io.gradflow.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatBatchNorm}'s loops on the JDK's incubating Vector API, lane for lane its scalar loops: each lane does
 * the same IEEE float operations on its element in the same order (no fused multiply-add, in the scalar code either),
 * and the column sums keep their row order, so the results are the same bits. Loaded only where the JVM resolved
 * {@code jdk.incubator.vector} ({@link FastExp#vectorized()}).
 */
final class VectorFloatLoops {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The loops' warm-up ({@link VectorWarmUp}: once per JVM, before the first real call). */
    private static final VectorWarmUp WARM = new VectorWarmUp(() -> {
        int r = 4;
        int n = 2 * F.length() + 1;
        float[] x = new float[r * n];
        float[] g = new float[r * n];
        float[] u = new float[r * n];
        float[] v1 = new float[n];
        float[] v2 = new float[n];
        float[] v3 = new float[n];
        float[] v4 = new float[n];
        for (int call = 0; call < 3_000; call++) {
            x[call % x.length] = call - 1_500;
            g[call % g.length] = 1_500 - call;
            java.util.Arrays.fill(v1, 0f);
            java.util.Arrays.fill(v2, 0f);
            columnSumsLoop(x, r, n, v1);
            squaredDeviationsLoop(x, r, n, v1, v2);
            normalizeLoop(x, r, n, v1, v2, v3, (call & 1) == 0, u, g);
            reluBackwardLoop(u, g, g.length);
            backwardSumsLoop(g, x, r, n, v1, v2, v3, v4);
            backwardInputLoop(g, x, r, n, v1, v2, v3, v4, v4);
        }
    });

    private VectorFloatLoops() {
    }

    static void columnSums(float[] x, int r, int n, float[] sum) {
        WARM.ensure();
        columnSumsLoop(x, r, n, sum);
    }

    static void squaredDeviations(float[] x, int r, int n, float[] mean, float[] var) {
        WARM.ensure();
        squaredDeviationsLoop(x, r, n, mean, var);
    }

    static void normalize(float[] x, int r, int n, float[] mean, float[] scale, float[] beta, boolean relu,
                          float[] u, float[] y) {
        WARM.ensure();
        normalizeLoop(x, r, n, mean, scale, beta, relu, u, y);
    }

    static void reluBackward(float[] u, float[] g, int len) {
        WARM.ensure();
        reluBackwardLoop(u, g, len);
    }

    static void backwardSums(float[] g, float[] x, int r, int n, float[] mean, float[] inv, float[] dBeta,
                             float[] dGamma) {
        WARM.ensure();
        backwardSumsLoop(g, x, r, n, mean, inv, dBeta, dGamma);
    }

    static void backwardInput(float[] g, float[] x, int r, int n, float[] mean, float[] inv, float[] a, float[] b,
                              float[] c) {
        WARM.ensure();
        backwardInputLoop(g, x, r, n, mean, inv, a, b, c);
    }

    private static void columnSumsLoop(float[] x, int r, int n, float[] sum) {
        int bound = F.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector.fromArray(F, sum, j).add(FloatVector.fromArray(F, x, o + j)).intoArray(sum, j);
            }
            for (; j < n; j++) {
                sum[j] += x[o + j];
            }
        }
    }

    private static void squaredDeviationsLoop(float[] x, int r, int n, float[] mean, float[] var) {
        int bound = F.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector d = FloatVector.fromArray(F, x, o + j).sub(FloatVector.fromArray(F, mean, j));
                FloatVector.fromArray(F, var, j).add(d.mul(d)).intoArray(var, j);
            }
            for (; j < n; j++) {
                float d = x[o + j] - mean[j];
                var[j] += d * d;
            }
        }
    }

    private static void normalizeLoop(float[] x, int r, int n, float[] mean, float[] scale, float[] beta,
                                      boolean relu, float[] u, float[] y) {
        int bound = F.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, o + j).sub(FloatVector.fromArray(F, mean, j))
                        .mul(FloatVector.fromArray(F, scale, j)).add(FloatVector.fromArray(F, beta, j));
                v.intoArray(u, o + j);
                // the vector MAX is Math.max lane by lane (NaN stays NaN, −0 gives +0)
                (relu ? v.max(0f) : v).intoArray(y, o + j);
            }
            for (; j < n; j++) {
                float v = (x[o + j] - mean[j]) * scale[j] + beta[j];
                u[o + j] = v;
                y[o + j] = relu ? Math.max(v, 0f) : v;
            }
        }
    }

    private static void reluBackwardLoop(float[] u, float[] g, int len) {
        int bound = F.loopBound(len);
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) {
            VectorMask<Float> positive = FloatVector.fromArray(F, u, i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(F, g, i), positive).intoArray(g, i);
        }
        for (; i < len; i++) {
            g[i] = u[i] > 0 ? g[i] : 0f;
        }
    }

    private static void backwardSumsLoop(float[] g, float[] x, int r, int n, float[] mean, float[] inv,
                                         float[] dBeta, float[] dGamma) {
        int bound = F.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector gj = FloatVector.fromArray(F, g, o + j);
                FloatVector.fromArray(F, dBeta, j).add(gj).intoArray(dBeta, j);
                FloatVector t = gj.mul(FloatVector.fromArray(F, x, o + j).sub(FloatVector.fromArray(F, mean, j)))
                        .mul(FloatVector.fromArray(F, inv, j));
                FloatVector.fromArray(F, dGamma, j).add(t).intoArray(dGamma, j);
            }
            for (; j < n; j++) {
                float gj = g[o + j];
                dBeta[j] += gj;
                dGamma[j] += gj * (x[o + j] - mean[j]) * inv[j];
            }
        }
    }

    private static void backwardInputLoop(float[] g, float[] x, int r, int n, float[] mean, float[] inv, float[] a,
                                          float[] b, float[] c) {
        int bound = F.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += F.length()) {
                FloatVector xh = FloatVector.fromArray(F, x, o + j).sub(FloatVector.fromArray(F, mean, j))
                        .mul(FloatVector.fromArray(F, inv, j));
                FloatVector t = FloatVector.fromArray(F, g, o + j).sub(FloatVector.fromArray(F, b, j))
                        .sub(xh.mul(FloatVector.fromArray(F, c, j)));
                FloatVector.fromArray(F, a, j).mul(t).intoArray(g, o + j);
            }
            for (; j < n; j++) {
                float xh = (x[o + j] - mean[j]) * inv[j];
                g[o + j] = a[j] * (g[o + j] - b[j] - xh * c[j]);
            }
        }
    }
}
