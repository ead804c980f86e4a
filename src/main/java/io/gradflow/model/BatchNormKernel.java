package io.gradflow.model;

/**
 * Batch normalization of a minibatch of dense activations in training mode, as pure functions on row-major
 * {@code rows × n} arrays (one row per example, one column per feature), in double precision.
 *
 * <p>Forward: {@code μ_j} and the biased {@code σ²_j} over the rows (two passes, so no cancellation),
 * {@code y = γ_j (x − μ_j) / √(σ²_j + ε) + β_j}. Backward, with {@code g = ∂L/∂y} and
 * {@code x̂ = (x − μ_j) / √(σ²_j + ε)}: {@code ∂L/∂β_j = Σ g}, {@code ∂L/∂γ_j = Σ g·x̂}, and, through the minibatch
 * mean and variance as well, {@code ∂L/∂x = γ_j / √(σ²_j + ε) · (g − ∂L/∂β_j / N − x̂ · ∂L/∂γ_j / N)}. These are
 * the formulas of DL4J's layer and of libnd4j's {@code batchnorm_bp}. The loops run over rows outside and
 * features inside, so they stream through memory and the JIT vectorizes them.
 */
final class BatchNormKernel {

    private BatchNormKernel() {
    }

    /**
     * Normalizes {@code x} into {@code y} and stores the minibatch mean and biased variance of every feature in
     * {@code mean} and {@code var}.
     */
    static void forward(double[] x, int rows, int n, double[] gamma, double[] beta, double eps,
                        double[] y, double[] mean, double[] var) {
        check(x, rows, n);
        java.util.Arrays.fill(mean, 0, n, 0.0);
        java.util.Arrays.fill(var, 0, n, 0.0);
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int j = 0; j < n; j++) {
                mean[j] += x[o + j];
            }
        }
        for (int j = 0; j < n; j++) {
            mean[j] /= rows;
        }
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int j = 0; j < n; j++) {
                double d = x[o + j] - mean[j];
                var[j] += d * d;
            }
        }
        double[] scale = new double[n];
        for (int j = 0; j < n; j++) {
            var[j] /= rows;
            scale[j] = gamma[j] / Math.sqrt(var[j] + eps);
        }
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int j = 0; j < n; j++) {
                y[o + j] = (x[o + j] - mean[j]) * scale[j] + beta[j];
            }
        }
    }

    /**
     * Back-propagates {@code g = ∂L/∂y} through the normalization of {@code x} (whose {@code mean} and {@code var}
     * the forward pass stored): writes {@code ∂L/∂x} into {@code dx} and the parameter gradients into
     * {@code dGamma} and {@code dBeta}.
     */
    static void backward(double[] x, double[] g, int rows, int n, double[] mean, double[] var, double[] gamma,
                         double eps, double[] dx, double[] dGamma, double[] dBeta) {
        check(x, rows, n);
        check(g, rows, n);
        double[] inv = new double[n];
        for (int j = 0; j < n; j++) {
            inv[j] = 1.0 / Math.sqrt(var[j] + eps);
        }
        java.util.Arrays.fill(dGamma, 0, n, 0.0);
        java.util.Arrays.fill(dBeta, 0, n, 0.0);
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int j = 0; j < n; j++) {
                double gj = g[o + j];
                dBeta[j] += gj;
                dGamma[j] += gj * (x[o + j] - mean[j]) * inv[j];
            }
        }
        double[] a = new double[n];
        double[] b = new double[n];
        double[] c = new double[n];
        for (int j = 0; j < n; j++) {
            a[j] = gamma[j] * inv[j];
            b[j] = dBeta[j] / rows;
            c[j] = dGamma[j] / rows;
        }
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int j = 0; j < n; j++) {
                double xh = (x[o + j] - mean[j]) * inv[j];
                dx[o + j] = a[j] * (g[o + j] - b[j] - xh * c[j]);
            }
        }
    }

    private static void check(double[] a, int rows, int n) {
        if (rows < 1 || n < 1 || a.length < (long) rows * n) {
            throw new IllegalArgumentException("A batch-norm minibatch of " + rows + " × " + n
                    + " needs " + (long) rows * n + " values, got " + a.length + ".");
        }
    }
}
