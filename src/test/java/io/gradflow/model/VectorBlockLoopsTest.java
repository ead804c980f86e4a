package io.gradflow.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VectorBlockLoops}'s loops against the scalar loops they replace (the expressions of {@link FusedBlock}'s
 * batch norm, {@link BlockActivation#reluBackwardScalar}, {@code Math.max} for ReLU's forward pass, and the sigmoid,
 * ELU and SELU expressions after their exponentials and the kept derivative's product in {@link BlockActivation}), bit for bit, on widths with and without a tail and on
 * values that test the edges: NaN, infinities, ±0, subnormals, huge and tiny magnitudes (NaNs compare as one
 * value: see {@code assertBits}).
 */
class VectorBlockLoopsTest {

    private static final int[] WIDTHS = {1, 3, 7, 8, 9, 16, 31, 64, 67, 256};

    @Test
    void theVectorPathIsAvailableInTheTestJvm() {
        assertThat(FastExp.vectorized()).as("surefire runs with --add-modules=jdk.incubator.vector").isTrue();
    }

    @Test
    void forwardLoopsGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : WIDTHS) {
            for (int r : new int[]{1, 5, 128}) {
                double[] x = values(rnd, r * n);
                double[] mean = new double[n];
                double[] meanRef = new double[n];
                VectorBlockLoops.columnSums(x, r, n, mean);
                for (int row = 0; row < r; row++) {
                    for (int j = 0; j < n; j++) {
                        meanRef[j] += x[row * n + j];
                    }
                }
                assertBits(mean, meanRef, "column sums n=" + n + " r=" + r);
                for (int j = 0; j < n; j++) {
                    mean[j] /= r;
                    meanRef[j] /= r;
                }
                double[] var = new double[n];
                double[] varRef = new double[n];
                VectorBlockLoops.squaredDeviations(x, r, n, mean, var);
                for (int row = 0; row < r; row++) {
                    for (int j = 0; j < n; j++) {
                        double d = x[row * n + j] - meanRef[j];
                        varRef[j] += d * d;
                    }
                }
                assertBits(var, varRef, "squared deviations n=" + n + " r=" + r);
                double[] scale = values(rnd, n);
                double[] beta = values(rnd, n);
                double[] y = new double[r * n];
                double[] yRef = new double[r * n];
                VectorBlockLoops.normalize(x, r, n, mean, scale, beta, y);
                for (int row = 0; row < r; row++) {
                    for (int j = 0; j < n; j++) {
                        yRef[row * n + j] = (x[row * n + j] - mean[j]) * scale[j] + beta[j];
                    }
                }
                assertBits(y, yRef, "normalize n=" + n + " r=" + r);
            }
        }
    }

    @Test
    void backwardLoopsGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int n : WIDTHS) {
            for (int r : new int[]{1, 5, 128}) {
                double[] x = values(rnd, r * n);
                double[] g = values(rnd, r * n);
                double[] mean = values(rnd, n);
                double[] inv = values(rnd, n);
                double[] dBeta = values(rnd, n);
                double[] dGamma = values(rnd, n);
                double[] dBetaRef = dBeta.clone();
                double[] dGammaRef = dGamma.clone();
                VectorBlockLoops.backwardSums(g, x, r, n, mean, inv, dBeta, dGamma);
                for (int row = 0; row < r; row++) {
                    for (int j = 0; j < n; j++) {
                        double gj = g[row * n + j];
                        dBetaRef[j] += gj;
                        dGammaRef[j] += gj * (x[row * n + j] - mean[j]) * inv[j];
                    }
                }
                assertBits(dBeta, dBetaRef, "dBeta n=" + n + " r=" + r);
                assertBits(dGamma, dGammaRef, "dGamma n=" + n + " r=" + r);
                double[] a = values(rnd, n);
                double[] b = values(rnd, n);
                double[] c = values(rnd, n);
                double[] gRef = g.clone();
                VectorBlockLoops.backwardInput(g, x, r, n, mean, inv, a, b, c);
                for (int row = 0; row < r; row++) {
                    for (int j = 0; j < n; j++) {
                        int i = row * n + j;
                        double xh = (x[i] - mean[j]) * inv[j];
                        gRef[i] = a[j] * (gRef[i] - b[j] - xh * c[j]);
                    }
                }
                assertBits(g, gRef, "dx n=" + n + " r=" + r);
            }
        }
    }

    @Test
    void reluBackwardGivesTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int len : new int[]{1, 7, 8, 9, 100, 4096 + 3}) {
            double[] x = values(rnd, len);
            double[] g = values(rnd, len);
            double[] ref = g.clone();
            VectorBlockLoops.reluBackward(x, g, len);
            BlockActivation.reluBackwardScalar(x, ref, len);
            assertBits(g, ref, "relu backward len=" + len);
        }
    }

    @Test
    void reluForwardGivesMathMaxBits() {
        SplittableRandom rnd = new SplittableRandom(14);
        for (int len : new int[]{1, 7, 8, 9, 100, 4096 + 3}) {
            double[] x = values(rnd, len);
            double[] y = new double[len];
            VectorBlockLoops.reluForward(x, y, len);
            for (int i = 0; i < len; i++) {
                assertThat(Double.doubleToLongBits(y[i])).as("relu(%s)", x[i]).isEqualTo(Double.doubleToLongBits(Math.max(x[i], 0.0)));
            }
        }
    }

    /** Random values with the edge cases sprinkled in. */
    @Test
    void cachedDerivativeLoopsGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(14);
        for (int len : WIDTHS) {
            double[] x = values(rnd, len);
            double[] e = values(rnd, len); // the exponentials' stand-ins: any doubles, edges included
            double[] g = values(rnd, len);
            double a = 0.7;
            double[] y = e.clone();
            double[] d = new double[len];
            int done = VectorBlockLoops.sigmoidFromExp(y, d, len);
            assertThat(done).isEqualTo(len - len % DoubleVectorLength.LANES);
            double[] yRef = new double[done];
            double[] dRef = new double[done];
            for (int i = 0; i < done; i++) {
                double s = 1 / (1 + e[i]);
                dRef[i] = s * (1 - s);
                yRef[i] = s;
            }
            assertBits(java.util.Arrays.copyOf(y, done), yRef, "sigmoid n=" + len);
            assertBits(java.util.Arrays.copyOf(d, done), dRef, "sigmoid' n=" + len);

            y = e.clone();
            VectorBlockLoops.eluFromExp(x, y, d, len, a);
            for (int i = 0; i < done; i++) {
                double v = x[i];
                yRef[i] = v > 0 ? v : a * (e[i] - 1);
                dRef[i] = v > 0 ? 1.0 : a * e[i];
            }
            assertBits(java.util.Arrays.copyOf(y, done), yRef, "elu n=" + len);
            assertBits(java.util.Arrays.copyOf(d, done), dRef, "elu' n=" + len);

            y = e.clone();
            VectorBlockLoops.seluFromExp(x, y, d, len);
            double l = BlockActivation.SELU_LAMBDA;
            double al = BlockActivation.SELU_ALPHA;
            for (int i = 0; i < done; i++) {
                double v = x[i];
                yRef[i] = v > 0 ? l * v : l * (al * e[i] - al);
                dRef[i] = v > 0 ? l : BlockActivation.SELU_ALPHA * BlockActivation.SELU_LAMBDA * e[i];
            }
            assertBits(java.util.Arrays.copyOf(y, done), yRef, "selu n=" + len);
            assertBits(java.util.Arrays.copyOf(d, done), dRef, "selu' n=" + len);

            double[] p = g.clone();
            assertThat(VectorBlockLoops.multiply(p, x, len)).isEqualTo(done);
            for (int i = 0; i < done; i++) {
                yRef[i] = g[i] * x[i];
            }
            assertBits(java.util.Arrays.copyOf(p, done), yRef, "product n=" + len);
            assertBits(java.util.Arrays.copyOfRange(p, done, len), java.util.Arrays.copyOfRange(g, done, len),
                    "untouched tail n=" + len);
        }
    }

    @Test
    void leakyReluBackwardGivesTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(15);
        for (int len : WIDTHS) {
            double[] x = values(rnd, len);
            double[] g = values(rnd, len);
            double a = (float) 0.01;
            double[] v = g.clone();
            double[] ref = g.clone();
            VectorBlockLoops.leakyReluBackward(x, v, len, a);
            BlockActivation.leakyReluBackwardScalar(x, ref, len, a);
            assertBits(v, ref, "leaky ReLU backward n=" + len);
        }
    }

    /** The preferred vector's double lanes, as the loops take them. */
    private static final class DoubleVectorLength {
        static final int LANES = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
    }

    private static double[] values(SplittableRandom rnd, int len) {
        double[] special = {Double.NaN, Double.longBitsToDouble(0x7ff8000000000123L), Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, 0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL / 3,
                Double.MAX_VALUE, -Double.MAX_VALUE, 1e-300, -1e300};
        double[] v = new double[len];
        for (int i = 0; i < len; i++) {
            v[i] = rnd.nextInt(8) == 0 ? special[rnd.nextInt(special.length)] : rnd.nextDouble(-3, 3);
        }
        return v;
    }

    private static void assertBits(double[] actual, double[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            // doubleToLongBits: every NaN is one NaN. A NaN's payload is not stable even between two runs of the same
            // scalar loop (the JIT may swap the operands of a commutative add, and x86 keeps the first NaN's payload);
            // every other value, ±0 included, must match bit for bit.
            assertThat(Double.doubleToLongBits(actual[i])).as("%s at %d: %s vs %s", what, i, actual[i], expected[i])
                    .isEqualTo(Double.doubleToLongBits(expected[i]));
        }
    }
}
