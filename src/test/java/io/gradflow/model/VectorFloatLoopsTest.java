package io.gradflow.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VectorFloatLoops} against {@link FloatBatchNorm}'s scalar loops, which define the float batch norm, bit for
 * bit: widths with and without a tail (16 float lanes on AVX-512, 8 on AVX2), and values at the edges (NaN,
 * infinities, ±0, subnormals, huge and tiny magnitudes; NaNs compare as one value, see {@code assertBits}).
 */
class VectorFloatLoopsTest {

    private static final int[] WIDTHS = {1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 67, 256};
    private static final int[] ROWS = {1, 5, 128};

    @Test
    void theVectorPathIsAvailableInTheTestJvm() {
        assertThat(FastExp.vectorized()).as("surefire runs with --add-modules=jdk.incubator.vector").isTrue();
    }

    @Test
    void forwardLoopsGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int n : WIDTHS) {
            for (int r : ROWS) {
                String at = "n=" + n + " r=" + r;
                float[] x = values(rnd, r * n);
                float[] sum = values(rnd, n);
                float[] sumRef = sum.clone();
                VectorFloatLoops.columnSums(x, r, n, sum);
                FloatBatchNorm.columnSums(x, r, n, sumRef);
                assertBits(sum, sumRef, "column sums " + at);
                float[] mean = values(rnd, n);
                float[] var = values(rnd, n);
                float[] varRef = var.clone();
                VectorFloatLoops.squaredDeviations(x, r, n, mean, var);
                FloatBatchNorm.squaredDeviations(x, r, n, mean, varRef);
                assertBits(var, varRef, "squared deviations " + at);
                float[] scale = values(rnd, n);
                float[] beta = values(rnd, n);
                for (boolean relu : new boolean[]{false, true}) {
                    float[] u = new float[r * n];
                    float[] y = new float[r * n];
                    float[] uRef = new float[r * n];
                    float[] yRef = new float[r * n];
                    VectorFloatLoops.normalize(x, r, n, mean, scale, beta, relu, u, y);
                    FloatBatchNorm.normalize(x, r, n, mean, scale, beta, relu, uRef, yRef);
                    assertBits(u, uRef, "normalize " + at + " relu=" + relu);
                    assertBits(y, yRef, "output " + at + " relu=" + relu);
                    if (relu) {
                        for (int i = 0; i < y.length; i++) {
                            assertThat(Float.floatToIntBits(y[i])).as("relu(%s)", u[i])
                                    .isEqualTo(Float.floatToIntBits(Math.max(u[i], 0f)));
                        }
                    } else {
                        assertBits(y, u, "identity output " + at);
                    }
                }
            }
        }
    }

    @Test
    void backwardLoopsGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(22);
        for (int n : WIDTHS) {
            for (int r : ROWS) {
                String at = "n=" + n + " r=" + r;
                float[] x = values(rnd, r * n);
                float[] g = values(rnd, r * n);
                float[] mean = values(rnd, n);
                float[] inv = values(rnd, n);
                float[] dBeta = values(rnd, n);
                float[] dGamma = values(rnd, n);
                float[] dBetaRef = dBeta.clone();
                float[] dGammaRef = dGamma.clone();
                VectorFloatLoops.backwardSums(g, x, r, n, mean, inv, dBeta, dGamma);
                FloatBatchNorm.backwardSums(g, x, r, n, mean, inv, dBetaRef, dGammaRef);
                assertBits(dBeta, dBetaRef, "dBeta " + at);
                assertBits(dGamma, dGammaRef, "dGamma " + at);
                float[] a = values(rnd, n);
                float[] b = values(rnd, n);
                float[] c = values(rnd, n);
                float[] gRef = g.clone();
                VectorFloatLoops.backwardInput(g, x, r, n, mean, inv, a, b, c);
                FloatBatchNorm.backwardInput(gRef, x, r, n, mean, inv, a, b, c);
                assertBits(g, gRef, "dx " + at);
            }
        }
        for (int len : new int[]{1, 15, 16, 17, 100, 4096 + 3}) {
            float[] u = values(rnd, len);
            float[] g = values(rnd, len);
            float[] ref = g.clone();
            VectorFloatLoops.reluBackward(u, g, len);
            FloatBatchNorm.reluBackward(u, ref, len);
            assertBits(g, ref, "relu backward len=" + len);
            for (int i = 0; i < len; i++) {
                assertThat(Float.floatToIntBits(g[i])).isEqualTo(Float.floatToIntBits(u[i] > 0 ? ref[i] : 0f));
            }
        }
    }

    /** The whole forward and backward pass agree with the formulas computed in double to float rounding. */
    @Test
    void theFloatPassesComputeBatchNorm() {
        SplittableRandom rnd = new SplittableRandom(23);
        int r = 64;
        int n = 37;
        double eps = 1e-5;
        float[] x = new float[r * n];
        float[] g = new float[r * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-2, 3);
            g[i] = (float) rnd.nextDouble(-1, 1);
        }
        float[] gamma = new float[n];
        float[] beta = new float[n];
        for (int j = 0; j < n; j++) {
            gamma[j] = (float) rnd.nextDouble(0.5, 1.5);
            beta[j] = (float) rnd.nextDouble(-0.5, 0.5);
        }
        float[][] w = new float[9][n];
        float[] u = new float[r * n];
        float[] y = new float[r * n];
        FloatBatchNorm.forward(x, r, n, gamma, beta, eps, true, w[0], w[1], w[2], u, y);
        float[] dGamma = new float[n];
        float[] dBeta = new float[n];
        float[] dx = g.clone();
        FloatBatchNorm.backward(dx, x, r, n, w[0], w[1], gamma, eps, dGamma, dBeta, w[3], w[4], w[5], w[6]);
        for (int j = 0; j < n; j++) {
            double m = 0;
            for (int row = 0; row < r; row++) {
                m += x[row * n + j];
            }
            m /= r;
            double v = 0;
            for (int row = 0; row < r; row++) {
                v += (x[row * n + j] - m) * (x[row * n + j] - m);
            }
            v /= r;
            double sd = Math.sqrt(v + eps);
            double db = 0;
            double dgm = 0;
            for (int row = 0; row < r; row++) {
                int i = row * n + j;
                double xh = (x[i] - m) / sd;
                double uu = xh * gamma[j] + beta[j];
                assertThat(u[i]).isCloseTo((float) uu, org.assertj.core.api.Assertions.within(1e-5f));
                assertThat(y[i]).isEqualTo(Math.max(u[i], 0f));
                db += g[i];
                dgm += g[i] * xh;
            }
            assertThat(dBeta[j]).isCloseTo((float) db, org.assertj.core.api.Assertions.within(1e-4f));
            assertThat(dGamma[j]).isCloseTo((float) dgm, org.assertj.core.api.Assertions.within(1e-4f));
            for (int row = 0; row < r; row++) {
                int i = row * n + j;
                double xh = (x[i] - m) / sd;
                double want = gamma[j] / sd * (g[i] - db / r - xh * dgm / r);
                assertThat(dx[i]).isCloseTo((float) want, org.assertj.core.api.Assertions.within(1e-4f));
            }
        }
    }

    private static float[] values(SplittableRandom rnd, int len) {
        float[] special = {Float.NaN, Float.intBitsToFloat(0x7fc00123), Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL / 3,
                Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, -1e30f};
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = rnd.nextInt(8) == 0 ? special[rnd.nextInt(special.length)] : (float) rnd.nextDouble(-3, 3);
        }
        return v;
    }

    private static void assertBits(float[] actual, float[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            // floatToIntBits: every NaN is one NaN (a NaN's payload is not stable, see VectorBlockLoopsTest); every
            // other value, ±0 included, must match bit for bit.
            assertThat(Float.floatToIntBits(actual[i])).as("%s at %d: %s against %s", what, i, actual[i], expected[i])
                    .isEqualTo(Float.floatToIntBits(expected[i]));
        }
    }
}
