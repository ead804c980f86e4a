package io.gradflow.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link BatchNormKernel} normalizes, and its backward pass is the derivative of its forward pass. */
class BatchNormKernelTest {

    private static final int ROWS = 7;
    private static final int N = 3;
    private static final double EPS = 1e-5;

    private static double[] random(Random r, int len, double scale, double shift) {
        double[] a = new double[len];
        for (int i = 0; i < len; i++) {
            a[i] = shift + scale * r.nextGaussian();
        }
        return a;
    }

    /** A fixed scalar loss of the output, L = Σ w·y, so that ∂L/∂y = w. */
    private static double loss(double[] x, double[] gamma, double[] beta, double[] w) {
        double[] y = new double[x.length];
        BatchNormKernel.forward(x, ROWS, N, gamma, beta, EPS, y, new double[N], new double[N]);
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += w[i] * y[i];
        }
        return l;
    }

    @Test
    void theOutputHasTheLearnedMeanAndScale() {
        Random r = new Random(1);
        double[] x = random(r, ROWS * N, 3.0, 5.0);
        double[] gamma = {1.0, 2.0, 0.5};
        double[] beta = {0.0, -1.0, 3.0};
        double[] y = new double[x.length];
        double[] mean = new double[N];
        double[] var = new double[N];
        BatchNormKernel.forward(x, ROWS, N, gamma, beta, EPS, y, mean, var);
        for (int j = 0; j < N; j++) {
            double m = 0;
            double v = 0;
            double xm = 0;
            for (int i = 0; i < ROWS; i++) {
                m += y[i * N + j] / ROWS;
                xm += x[i * N + j] / ROWS;
            }
            for (int i = 0; i < ROWS; i++) {
                v += Math.pow(y[i * N + j] - m, 2) / ROWS;
            }
            assertThat(mean[j]).isCloseTo(xm, within(1e-12));
            assertThat(m).isCloseTo(beta[j], within(1e-12));
            // the variance of y is γ² σ² / (σ² + ε)
            assertThat(v).isCloseTo(gamma[j] * gamma[j] * var[j] / (var[j] + EPS), within(1e-9));
        }
    }

    @Test
    void theBackwardPassMatchesFiniteDifferencesThroughTheMinibatchStatistics() {
        Random r = new Random(2);
        double[] x = random(r, ROWS * N, 2.0, 1.0);
        double[] gamma = random(r, N, 0.5, 1.0);
        double[] beta = random(r, N, 0.5, 0.0);
        double[] w = random(r, ROWS * N, 1.0, 0.0);
        double[] y = new double[x.length];
        double[] mean = new double[N];
        double[] var = new double[N];
        BatchNormKernel.forward(x, ROWS, N, gamma, beta, EPS, y, mean, var);
        double[] dx = new double[x.length];
        double[] dGamma = new double[N];
        double[] dBeta = new double[N];
        BatchNormKernel.backward(x, w, ROWS, N, mean, var, gamma, EPS, dx, dGamma, dBeta);
        double h = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double[] xp = x.clone();
            double[] xm = x.clone();
            xp[i] += h;
            xm[i] -= h;
            double fd = (loss(xp, gamma, beta, w) - loss(xm, gamma, beta, w)) / (2 * h);
            assertThat(dx[i]).as("dL/dx[%d]", i).isCloseTo(fd, within(1e-6));
        }
        for (int j = 0; j < N; j++) {
            double[] gp = gamma.clone();
            double[] gm = gamma.clone();
            gp[j] += h;
            gm[j] -= h;
            assertThat(dGamma[j]).isCloseTo((loss(x, gp, beta, w) - loss(x, gm, beta, w)) / (2 * h), within(1e-6));
            double[] bp = beta.clone();
            double[] bm = beta.clone();
            bp[j] += h;
            bm[j] -= h;
            assertThat(dBeta[j]).isCloseTo((loss(x, gamma, bp, w) - loss(x, gamma, bm, w)) / (2 * h), within(1e-6));
        }
        // a gradient that is the same for every row carries no information through the normalization
        double[] constant = new double[x.length];
        java.util.Arrays.fill(constant, 0.7);
        BatchNormKernel.backward(x, constant, ROWS, N, mean, var, gamma, EPS, dx, dGamma, dBeta);
        for (double d : dx) {
            assertThat(d).isCloseTo(0.0, within(1e-12));
        }
    }

    @Test
    void aMinibatchTooSmallForItsShapeIsRejected() {
        assertThatThrownBy(() -> BatchNormKernel.forward(new double[5], 2, 3, new double[3], new double[3], EPS,
                new double[6], new double[3], new double[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("A batch-norm minibatch of 2 × 3 needs 6 values, got 5.");
    }
}
