package io.gradflow.model;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused blocks' batch-norm loops, ReLU's forward and backward passes, leaky ReLU's backward pass and the sigmoid,
 * ELU and SELU expressions after their exponentials on the JDK's incubating Vector API, lane for lane the scalar
 * loops of {@link FusedBlock} (and {@link BlockActivation}'s for the activations): each lane does the same IEEE
 * double operations on its element in the same order (the JDK never fuses a multiply and an add, neither here nor in
 * the scalar code), and the column sums keep their row order, so the results are the same bits (a NaN stays a NaN;
 * its payload is not stable even in the scalar code, whose commutative operations the JIT may swap).
 *
 * <p>Why: in a JFR profile of a 256-wide batch-norm step (BENCHMARKS.md) these loops were 47% of the step and the
 * GEMMs 45%: the JIT of JDK 17 vectorized none of them (loops that store into two double arrays and load from
 * others, which may alias for all it knows, ReLU's bit masks and its {@code Math.max}), so they ran at about 6 ns
 * per element; vectorized, the step's Java share fell from 47% to about 20% (BENCHMARKS.md). Loaded
 * only where the JVM resolved {@code jdk.incubator.vector} ({@link FastExp#vectorized()}); callers fall back to
 * their scalar loops.
 */
final class VectorBlockLoops {

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    /** The loops' warm-up ({@link VectorWarmUp}: once per JVM, before the first real call). */
    private static final VectorWarmUp WARM = new VectorWarmUp(() -> {
        int r = 4;
        int n = 2 * D.length() + 1;
        double[] x = new double[r * n];
        double[] g = new double[r * n];
        double[] v1 = new double[n];
        double[] v2 = new double[n];
        double[] v3 = new double[n];
        double[] v4 = new double[n];
        for (int call = 0; call < 3_000; call++) {
            x[call % x.length] = call - 1_500;
            g[call % g.length] = 1_500 - call;
            java.util.Arrays.fill(v1, 0.0);
            java.util.Arrays.fill(v2, 0.0);
            columnSumsLoop(x, r, n, v1);
            squaredDeviationsLoop(x, r, n, v1, v2);
            normalizeLoop(x, r, n, v1, v2, v3, g);
            backwardSumsLoop(g, x, r, n, v1, v2, v3, v4);
            backwardInputLoop(g, x, r, n, v1, v2, v3, v4, v4);
            reluBackwardLoop(x, g, x.length);
            reluForwardLoop(x, g, x.length);
            java.util.Arrays.fill(v1, 0.5 + call * 1e-4);
            sigmoidFromExpLoop(v1, v2, n);
            eluFromExpLoop(v3, v1, v2, n, 1.0);
            seluFromExpLoop(v3, v1, v2, n);
            multiplyLoop(v4, v2, n);
            leakyReluBackwardLoop(x, g, x.length, 0.01);
        }
    });

    private VectorBlockLoops() {
    }

    /** {@code sum[j] += x[row][j]} over the rows in order (the batch mean's sums). */
    static void columnSums(double[] x, int r, int n, double[] sum) {
        WARM.ensure();
        columnSumsLoop(x, r, n, sum);
    }

    /** {@code var[j] += (x[row][j] − mean[j])²} over the rows in order, as {@code d·d}. */
    static void squaredDeviations(double[] x, int r, int n, double[] mean, double[] var) {
        WARM.ensure();
        squaredDeviationsLoop(x, r, n, mean, var);
    }

    /** {@code y[row][j] = (x[row][j] − mean[j])·scale[j] + beta[j]}. */
    static void normalize(double[] x, int r, int n, double[] mean, double[] scale, double[] beta, double[] y) {
        WARM.ensure();
        normalizeLoop(x, r, n, mean, scale, beta, y);
    }

    /** {@code dBeta[j] += g}, {@code dGamma[j] += g·(x − mean[j])·inv[j]} over the rows in order. */
    static void backwardSums(double[] g, double[] x, int r, int n, double[] mean, double[] inv, double[] dBeta,
                             double[] dGamma) {
        WARM.ensure();
        backwardSumsLoop(g, x, r, n, mean, inv, dBeta, dGamma);
    }

    /** In place, {@code g = a[j]·(g − b[j] − ((x − mean[j])·inv[j])·c[j])}. */
    static void backwardInput(double[] g, double[] x, int r, int n, double[] mean, double[] inv, double[] a,
                              double[] b, double[] c) {
        WARM.ensure();
        backwardInputLoop(g, x, r, n, mean, inv, a, b, c);
    }

    /** In place, {@code g[i] = x[i] > 0 ? g[i] : +0.0} (NaN x gives +0.0): ReLU's backward pass. */
    static void reluBackward(double[] x, double[] g, int len) {
        WARM.ensure();
        reluBackwardLoop(x, g, len);
    }

    private static void columnSumsLoop(double[] x, int r, int n, double[] sum) {
        int bound = D.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += D.length()) {
                DoubleVector.fromArray(D, sum, j).add(DoubleVector.fromArray(D, x, o + j)).intoArray(sum, j);
            }
            for (; j < n; j++) {
                sum[j] += x[o + j];
            }
        }
    }

    private static void squaredDeviationsLoop(double[] x, int r, int n, double[] mean, double[] var) {
        int bound = D.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += D.length()) {
                DoubleVector d = DoubleVector.fromArray(D, x, o + j).sub(DoubleVector.fromArray(D, mean, j));
                DoubleVector.fromArray(D, var, j).add(d.mul(d)).intoArray(var, j);
            }
            for (; j < n; j++) {
                double d = x[o + j] - mean[j];
                var[j] += d * d;
            }
        }
    }

    private static void normalizeLoop(double[] x, int r, int n, double[] mean, double[] scale, double[] beta,
                                      double[] y) {
        int bound = D.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += D.length()) {
                DoubleVector.fromArray(D, x, o + j).sub(DoubleVector.fromArray(D, mean, j))
                        .mul(DoubleVector.fromArray(D, scale, j)).add(DoubleVector.fromArray(D, beta, j))
                        .intoArray(y, o + j);
            }
            for (; j < n; j++) {
                y[o + j] = (x[o + j] - mean[j]) * scale[j] + beta[j];
            }
        }
    }

    private static void backwardSumsLoop(double[] g, double[] x, int r, int n, double[] mean, double[] inv,
                                         double[] dBeta, double[] dGamma) {
        int bound = D.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += D.length()) {
                DoubleVector gj = DoubleVector.fromArray(D, g, o + j);
                DoubleVector.fromArray(D, dBeta, j).add(gj).intoArray(dBeta, j);
                DoubleVector t = gj.mul(DoubleVector.fromArray(D, x, o + j).sub(DoubleVector.fromArray(D, mean, j)))
                        .mul(DoubleVector.fromArray(D, inv, j));
                DoubleVector.fromArray(D, dGamma, j).add(t).intoArray(dGamma, j);
            }
            for (; j < n; j++) {
                double gj = g[o + j];
                dBeta[j] += gj;
                dGamma[j] += gj * (x[o + j] - mean[j]) * inv[j];
            }
        }
    }

    private static void backwardInputLoop(double[] g, double[] x, int r, int n, double[] mean, double[] inv,
                                          double[] a, double[] b, double[] c) {
        int bound = D.loopBound(n);
        for (int row = 0; row < r; row++) {
            int o = row * n;
            int j = 0;
            for (; j < bound; j += D.length()) {
                DoubleVector xh = DoubleVector.fromArray(D, x, o + j).sub(DoubleVector.fromArray(D, mean, j))
                        .mul(DoubleVector.fromArray(D, inv, j));
                DoubleVector t = DoubleVector.fromArray(D, g, o + j).sub(DoubleVector.fromArray(D, b, j))
                        .sub(xh.mul(DoubleVector.fromArray(D, c, j)));
                DoubleVector.fromArray(D, a, j).mul(t).intoArray(g, o + j); // a·t, in the scalar code's operand order
            }
            for (; j < n; j++) {
                double xh = (x[o + j] - mean[j]) * inv[j];
                g[o + j] = a[j] * (g[o + j] - b[j] - xh * c[j]);
            }
        }
    }

    // The activations whose derivative the forward pass keeps (BlockActivation.forwardTraining), after their
    // exponentials: each returns how many values it did (a multiple of the vector length); the caller's scalar loop
    // does the rest, with the same expressions.

    /** {@code y} holds e = exp(−x): {@code s = 1/(1 + e)} into {@code y}, {@code s·(1 − s)} into {@code d}. */
    static int sigmoidFromExp(double[] y, double[] d, int len) {
        WARM.ensure();
        return sigmoidFromExpLoop(y, d, len);
    }

    /** {@code y} holds e = exp(x): ELU's {@code x > 0 ? x : α(e − 1)} into {@code y}, {@code x > 0 ? 1 : αe} into {@code d}. */
    static int eluFromExp(double[] x, double[] y, double[] d, int len, double a) {
        WARM.ensure();
        return eluFromExpLoop(x, y, d, len, a);
    }

    /** {@code y} holds e = exp(x): SELU's value into {@code y} and derivative into {@code d}, as BlockActivation's. */
    static int seluFromExp(double[] x, double[] y, double[] d, int len) {
        WARM.ensure();
        return seluFromExpLoop(x, y, d, len);
    }

    /** In place, {@code g[i] = g[i]·d[i]}: the backward pass from a kept derivative. */
    static int multiply(double[] g, double[] d, int len) {
        WARM.ensure();
        return multiplyLoop(g, d, len);
    }

    private static int sigmoidFromExpLoop(double[] y, double[] d, int len) {
        int bound = D.loopBound(len);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int i = 0; i < bound; i += D.length()) {
            DoubleVector s = one.div(one.add(DoubleVector.fromArray(D, y, i))); // 1 / (1 + e)
            s.mul(one.sub(s)).intoArray(d, i);
            s.intoArray(y, i);
        }
        return bound;
    }

    private static int eluFromExpLoop(double[] x, double[] y, double[] d, int len, double a) {
        int bound = D.loopBound(len);
        for (int i = 0; i < bound; i += D.length()) {
            DoubleVector v = DoubleVector.fromArray(D, x, i);
            DoubleVector e = DoubleVector.fromArray(D, y, i);
            VectorMask<Double> pos = v.compare(VectorOperators.GT, 0.0); // false for NaN, as v > 0
            e.mul(a).blend(1.0, pos).intoArray(d, i);
            e.sub(1.0).mul(a).blend(v, pos).intoArray(y, i); // a · (e − 1)
        }
        return bound;
    }

    private static int seluFromExpLoop(double[] x, double[] y, double[] d, int len) {
        int bound = D.loopBound(len);
        double l = BlockActivation.SELU_LAMBDA;
        double al = BlockActivation.SELU_ALPHA * BlockActivation.SELU_LAMBDA; // the scalar code's (α·λ)·e
        for (int i = 0; i < bound; i += D.length()) {
            DoubleVector v = DoubleVector.fromArray(D, x, i);
            DoubleVector e = DoubleVector.fromArray(D, y, i);
            VectorMask<Double> pos = v.compare(VectorOperators.GT, 0.0);
            e.mul(al).blend(l, pos).intoArray(d, i);
            // λ · (α·e − α) below 0, λ·v above, in the scalar code's operand order
            e.mul(BlockActivation.SELU_ALPHA).sub(BlockActivation.SELU_ALPHA).mul(l).blend(v.mul(l), pos)
                    .intoArray(y, i);
        }
        return bound;
    }

    /**
     * In place, {@code g[i] = x[i] < 0 ? g[i]·a : g[i]} (a NaN or ±0 pre-activation passes g on): leaky ReLU's
     * backward pass, whose scalar form selects by bit masks.
     */
    static void leakyReluBackward(double[] x, double[] g, int len, double a) {
        WARM.ensure();
        int i = leakyReluBackwardLoop(x, g, len, a);
        for (; i < len; i++) {
            g[i] = x[i] < 0 ? g[i] * a : g[i];
        }
    }

    private static int leakyReluBackwardLoop(double[] x, double[] g, int len, double a) {
        int bound = D.loopBound(len);
        for (int i = 0; i < bound; i += D.length()) {
            DoubleVector gi = DoubleVector.fromArray(D, g, i);
            gi.blend(gi.mul(a), DoubleVector.fromArray(D, x, i).lt(0.0)).intoArray(g, i);
        }
        return bound;
    }

    private static int multiplyLoop(double[] g, double[] d, int len) {
        int bound = D.loopBound(len);
        for (int i = 0; i < bound; i += D.length()) {
            DoubleVector.fromArray(D, g, i).mul(DoubleVector.fromArray(D, d, i)).intoArray(g, i);
        }
        return bound;
    }

    /** {@code y[i] = Math.max(x[i], 0.0)}: the vector MAX is {@code Math.max} lane by lane (NaN stays NaN, −0.0 gives 0.0). */
    static void reluForward(double[] x, double[] y, int len) {
        WARM.ensure();
        reluForwardLoop(x, y, len);
    }

    private static void reluForwardLoop(double[] x, double[] y, int len) {
        int bound = D.loopBound(len);
        int i = 0;
        for (; i < bound; i += D.length()) {
            DoubleVector.fromArray(D, x, i).max(0.0).intoArray(y, i);
        }
        for (; i < len; i++) {
            y[i] = Math.max(x[i], 0.0);
        }
    }

    private static void reluBackwardLoop(double[] x, double[] g, int len) {
        int bound = D.loopBound(len);
        DoubleVector zero = DoubleVector.zero(D);
        int i = 0;
        for (; i < bound; i += D.length()) {
            VectorMask<Double> positive = DoubleVector.fromArray(D, x, i).compare(VectorOperators.GT, 0.0);
            zero.blend(DoubleVector.fromArray(D, g, i), positive).intoArray(g, i);
        }
        for (; i < len; i++) {
            g[i] = x[i] > 0 ? g[i] : 0.0;
        }
    }
}
