package io.gradflow.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The three GEMMs of a dense layer {@code x·W} on a minibatch of {@code r} rows, as direct BLAS calls
 * ({@link DirectBlas}) on the arrays' native buffers, for whichever of DL4J's two layouts the weight view has
 * ({@code 'f'}, as DL4J's dense parameter initializer makes it, or {@code 'c'}): the forward product, the weight
 * gradient {@code xᵀ·δ} straight into DL4J's gradient view, and the input gradient {@code δ·Wᵀ}. {@code x},
 * outputs and input gradients are dense row-major {@code r × nIn} / {@code r × n} matrices; δ is given by its
 * native address (row-major {@code r × n}). Shared by {@link FusedBlock}, {@link LinearLayer} and
 * {@link SoftmaxOutputLayer}; {@code who} names the layer in error messages.
 */
final class DenseGemm {

    private DenseGemm() {
    }

    /** {@code out = x·W}; {@code out} is a row-major {@code r × n} array. */
    static void forward(DataType t, INDArray x, INDArray W, INDArray out, int r, int nIn, int n, String who) {
        forward(t, x, W, DirectBlas.address(out), r, nIn, n, who);
    }

    /** {@code out = x·W} into native memory at {@code out} (row-major {@code r × n}). */
    static void forward(DataType t, INDArray x, INDArray W, long out, int r, int nIn, int n, String who) {
        if (W.size(0) != nIn || W.size(1) != n) {
            throw new IllegalStateException("Layer " + who + " has weights of shape "
                    + java.util.Arrays.toString(W.shape()) + " for an input of width " + nIn + ".");
        }
        boolean wCol = columnMajor(W, nIn, n);
        if (!wCol) {
            requireRowMajor(W, nIn, n, who);
        }
        DirectBlas.gemm(t, true, false, wCol, r, n, nIn, DirectBlas.address(x), nIn, DirectBlas.address(W),
                wCol ? nIn : n, out, n);
    }

    /** {@code dW = xᵀ·δ}, into the gradient view {@code dW} in its own layout. */
    static void weightGradient(DataType t, INDArray x, long delta, INDArray dW, int r, int nIn, int n, String who) {
        if (columnMajor(dW, nIn, n)) {
            DirectBlas.gemm(t, false, false, true, nIn, n, r, DirectBlas.address(x), nIn, delta, n,
                    DirectBlas.address(dW), nIn);
        } else {
            requireRowMajor(dW, nIn, n, who);
            DirectBlas.gemm(t, true, true, false, nIn, n, r, DirectBlas.address(x), nIn, delta, n,
                    DirectBlas.address(dW), n);
        }
    }

    /** {@code dx = δ·Wᵀ}; {@code dx} is a row-major {@code r × nIn} array. */
    static void inputGradient(DataType t, long delta, INDArray W, INDArray dx, int r, int nIn, int n) {
        boolean wCol = columnMajor(W, nIn, n);
        DirectBlas.gemm(t, true, false, !wCol, r, nIn, n, delta, n, DirectBlas.address(W), wCol ? nIn : n,
                DirectBlas.address(dx), nIn);
    }

    /**
     * {@code v[row][j] += b[j]} over an {@code r × n} row-major array, each sum rounded to float if {@code toFloat}
     * (as an element-wise add in the network's type rounds it): the bias of a dense layer.
     */
    static void addRow(double[] v, int r, int n, double[] b, boolean toFloat) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                double s = v[o + j] + b[j];
                v[o + j] = toFloat ? (float) s : s;
            }
        }
    }

    /**
     * {@code v += b} row by row in float: one float addition per element, so the bits of {@link #addRow(double[],
     * int, int, double[], boolean)} with {@code toFloat} on the same floats (the double sum of two floats, rounded
     * to float, is their float sum).
     */
    static void addRow(float[] v, int r, int n, float[] b) {
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                v[o + j] = v[o + j] + b[j];
            }
        }
    }

    /**
     * {@link #columnSums(double[], int, int, double[])} over floats, summed in double in the same order: its bits. On
     * the Vector API where the JVM has it ({@link VectorLoops}, the same bits), else the loop below.
     */
    static void columnSums(float[] d, int r, int n, double[] out) {
        if (FastExp.vectorized()) {
            VectorLoops.columnSums(d, r, n, out);
            return;
        }
        scalarColumnSums(d, r, n, out);
    }

    /** The scalar form of {@link #columnSums(float[], int, int, double[])}. */
    static void scalarColumnSums(float[] d, int r, int n, double[] out) {
        java.util.Arrays.fill(out, 0, n, 0.0);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                out[j] += d[o + j];
            }
        }
    }

    /** {@code out[j] = Σ_row d[row][j]} over an {@code r × n} row-major array, rows in order: a bias's gradient. */
    static void columnSums(double[] d, int r, int n, double[] out) {
        java.util.Arrays.fill(out, 0, n, 0.0);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            for (int j = 0; j < n; j++) {
                out[j] += d[o + j];
            }
        }
    }

    /** {@code a} itself when it is a dense row-major matrix, else a row-major copy. */
    static INDArray rowMajor(INDArray a) {
        return Arrays2.rowMajor(a) && a.rank() == 2 ? a : a.dup('c');
    }

    static boolean columnMajor(INDArray m, long rows, long cols) {
        return m.rank() == 2 && m.ordering() == 'f' && m.stride(0) == 1 && m.stride(1) == rows && m.size(1) == cols;
    }

    static void requireRowMajor(INDArray m, long rows, long cols, String who) {
        if (m.rank() != 2 || m.size(0) != rows || m.stride(0) != cols || m.stride(1) != 1) {
            throw new IllegalStateException("Layer " + who + " expects a dense " + rows + " × " + cols
                    + " matrix, got " + m.shapeInfoToString().replace('\n', ' ') + ".");
        }
    }

    /**
     * Checks that {@code v} is a contiguous vector of {@code n} values of type {@code t} (a parameter or gradient
     * view the loops read or write through its address).
     */
    static void requireVector(INDArray v, int n, DataType t, String who) {
        boolean ok = v.length() == n && (v.rank() == 1 ? v.stride(0) == 1 : v.rank() == 2 && v.size(0) == 1 && v.stride(1) == 1);
        if (!ok || v.dataType() != t) {
            throw new IllegalStateException("Layer " + who + " expects contiguous " + t + " parameter vectors of length "
                    + n + ", got " + v.shapeInfoToString().replace('\n', ' ') + ".");
        }
    }
}
