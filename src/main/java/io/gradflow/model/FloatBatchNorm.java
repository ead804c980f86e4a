package io.gradflow.model;

/**
 * Batch norm with a ReLU or identity activation in single precision, for the fused blocks' float path
 * ({@link FusedBlock}): every sum, product and quotient on the {@code r × n} row-major minibatch is an IEEE float
 * operation, the per-column scalars ({@code γ/√(σ² + ε)} and {@code 1/√(σ² + ε)}) are computed in double and rounded
 * once. The formulas are DL4J's batch norm ({@link BatchNormKernel}): two-pass mean and biased variance,
 * {@code u = (x − μ)·γ/√(σ² + ε) + β}; backward {@code ∂β = Σg}, {@code ∂γ = Σ g·x̂},
 * {@code dx = (γ/σ)·(g − ∂β/N − x̂·∂γ/N)}. Column sums run over the rows in order, so the result is the same bits on
 * every machine and run; the vector loops ({@link VectorFloatLoops}) do the same operations lane by lane.
 *
 * <p>Why: in a 256-wide, 50-block batch-norm step (JFR, BENCHMARKS.md) the double loops, with their conversions from
 * and to the float buffers, were about a quarter of the step; on float lanes a vector holds twice the elements and
 * the conversions go. It is also what DL4J's and PyTorch's float batch norm compute in: float sums. The double path
 * ({@link FusedBlock}'s other loops) stays for double networks and for the other activations;
 * {@code FusedBlockTest} checks this one against it (which is checked against DL4J's layers in double precision),
 * {@code VectorFloatLoopsTest} against the formulas in double.
 */
final class FloatBatchNorm {

    private static final boolean VECTOR = FastExp.vectorized();

    private FloatBatchNorm() {
    }

    /**
     * Training-mode forward pass: from {@code x} (x·W) the batch mean and biased variance into {@code mean} and
     * {@code var}, the pre-activation {@code u} and the output {@code y} ({@code max(u, 0)} when {@code relu}, else
     * {@code u}; {@code y} may be {@code u} then). {@code scale} is working space.
     */
    static void forward(float[] x, int r, int n, float[] gamma, float[] beta, double eps, boolean relu,
                        float[] mean, float[] var, float[] scale, float[] u, float[] y) {
        java.util.Arrays.fill(mean, 0, n, 0f);
        java.util.Arrays.fill(var, 0, n, 0f);
        if (VECTOR) {
            VectorFloatLoops.columnSums(x, r, n, mean);
        } else {
            columnSums(x, r, n, mean);
        }
        for (int j = 0; j < n; j++) {
            mean[j] /= r;
        }
        if (VECTOR) {
            VectorFloatLoops.squaredDeviations(x, r, n, mean, var);
        } else {
            squaredDeviations(x, r, n, mean, var);
        }
        for (int j = 0; j < n; j++) {
            var[j] /= r;
            scale[j] = (float) (gamma[j] / Math.sqrt(var[j] + eps));
        }
        if (VECTOR) {
            VectorFloatLoops.normalize(x, r, n, mean, scale, beta, relu, u, y);
        } else {
            normalize(x, r, n, mean, scale, beta, relu, u, y);
        }
    }

    /**
     * ReLU's backward pass in place on {@code g} ({@code u > 0 ? g : +0}, a NaN {@code u} gives 0) when {@code relu},
     * nothing for the identity.
     */
    static void activationBackward(float[] u, float[] g, int len, boolean relu) {
        if (!relu) {
            return;
        }
        if (VECTOR) {
            VectorFloatLoops.reluBackward(u, g, len);
        } else {
            reluBackward(u, g, len);
        }
    }

    /**
     * Backward pass in place on {@code g} (δ at the pre-activation in, δ at x·W out), from the forward pass's
     * {@code x}, {@code mean}, {@code var} and {@code gamma}: ∂L/∂γ into {@code dGamma}, ∂L/∂β into {@code dBeta}.
     * {@code inv}, {@code a}, {@code b} and {@code c} are working space.
     */
    static void backward(float[] g, float[] x, int r, int n, float[] mean, float[] var, float[] gamma, double eps,
                         float[] dGamma, float[] dBeta, float[] inv, float[] a, float[] b, float[] c) {
        for (int j = 0; j < n; j++) {
            inv[j] = (float) (1.0 / Math.sqrt(var[j] + eps));
        }
        java.util.Arrays.fill(dGamma, 0, n, 0f);
        java.util.Arrays.fill(dBeta, 0, n, 0f);
        if (VECTOR) {
            VectorFloatLoops.backwardSums(g, x, r, n, mean, inv, dBeta, dGamma);
        } else {
            backwardSums(g, x, r, n, mean, inv, dBeta, dGamma);
        }
        for (int j = 0; j < n; j++) {
            a[j] = gamma[j] * inv[j];
            b[j] = dBeta[j] / r;
            c[j] = dGamma[j] / r;
        }
        if (VECTOR) {
            VectorFloatLoops.backwardInput(g, x, r, n, mean, inv, a, b, c);
        } else {
            backwardInput(g, x, r, n, mean, inv, a, b, c);
        }
    }

    // The scalar loops: the definition the vector loops follow lane by lane (VectorFloatLoopsTest).

    static void columnSums(float[] x, int r, int n, float[] sum) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                sum[j] += x[o + j];
            }
        }
    }

    static void squaredDeviations(float[] x, int r, int n, float[] mean, float[] var) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                float d = x[o + j] - mean[j];
                var[j] += d * d;
            }
        }
    }

    static void normalize(float[] x, int r, int n, float[] mean, float[] scale, float[] beta, boolean relu,
                          float[] u, float[] y) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                float v = (x[o + j] - mean[j]) * scale[j] + beta[j];
                u[o + j] = v;
                y[o + j] = relu ? Math.max(v, 0f) : v;
            }
        }
    }

    static void reluBackward(float[] u, float[] g, int len) {
        for (int i = 0; i < len; i++) {
            g[i] = u[i] > 0 ? g[i] : 0f;
        }
    }

    static void backwardSums(float[] g, float[] x, int r, int n, float[] mean, float[] inv, float[] dBeta,
                             float[] dGamma) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                float gj = g[o + j];
                dBeta[j] += gj;
                dGamma[j] += gj * (x[o + j] - mean[j]) * inv[j];
            }
        }
    }

    static void backwardInput(float[] g, float[] x, int r, int n, float[] mean, float[] inv, float[] a, float[] b,
                              float[] c) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                float xh = (x[o + j] - mean[j]) * inv[j];
                g[o + j] = a[j] * (g[o + j] - b[j] - xh * c[j]);
            }
        }
    }
}
