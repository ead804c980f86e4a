package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.trial.Stats;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * The per-network recorder that the probed layers write into during a sampled step. DL4J keeps no per-layer
 * epsilons after backpropagation, so the probed activation layer and the probed residual add record the norm of
 * the epsilon passing through them, and the activation statistics of their forward output, while the probe is
 * armed. When it is not armed they cost nothing: no extra native ops run on unsampled steps.
 */
public final class Probe {

    private final int depth;
    private final Activation activation;
    private boolean armed;
    private long nanos;
    private long batchSize;

    final double[] deltaPre;
    final double[] deltaOut;
    final double[] actMean;
    final double[] actStd;
    final double[] actSaturated;
    final double[] actDead;

    public Probe(int depth, Activation activation) {
        this.depth = depth;
        this.activation = activation;
        deltaPre = new double[depth];
        deltaOut = new double[depth];
        actMean = new double[depth];
        actStd = new double[depth];
        actSaturated = new double[depth];
        actDead = new double[depth];
        clear();
    }

    /** Arms (or disarms) recording for the next forward/backward pass and clears the previous values. */
    public void arm(boolean on) {
        armed = on;
        if (on) {
            clear();
        }
    }

    public boolean armed() {
        return armed;
    }

    public int depth() {
        return depth;
    }

    /** Examples in the last armed pass's minibatch (0 before any): DL4J's raw gradients are sums over them. */
    public long batchSize() {
        return batchSize;
    }

    private void clear() {
        for (double[] a : new double[][]{deltaPre, deltaOut, actMean, actStd, actSaturated, actDead}) {
            Arrays.fill(a, Double.NaN);
        }
    }

    /** Nanoseconds spent recording since construction: the statistics' share of the training loop. */
    public long nanos() {
        return nanos;
    }

    // DL4J backpropagates the gradient of the minibatch's summed loss and divides by the minibatch size only in
    // the updater; the statistics are defined for the mean loss, so the norms are divided by the rows here.
    // A norm is only recorded when every value it comes from is finite: DL4J's ReLU backward maps a NaN
    // pre-activation or upstream gradient to 0, which would otherwise read as a measured ‖δ‖ of 0.0.
    void recordDeltaPre(int block, INDArray delta, INDArray upstream, INDArray preActivation) {
        long t0 = System.nanoTime();
        double[] d = Arrays2.values(delta);
        boolean finite = Stats.allFinite(Arrays2.values(upstream)) && Stats.allFinite(Arrays2.values(preActivation));
        nanos += System.nanoTime() - t0;
        recordDeltaPre(block, d, (int) delta.size(0), finite);
    }

    /**
     * The same from the values of δ themselves ({@code delta}, exactly the minibatch's {@code rows} × width values,
     * in any order), for a layer that holds them in Java: {@code inputsFinite} says whether the upstream gradient
     * and the pre-activation it came from were all finite.
     */
    void recordDeltaPre(int block, double[] delta, int rows, boolean inputsFinite) {
        long t0 = System.nanoTime();
        batchSize = rows;
        deltaPre[block - 1] = inputsFinite ? finiteNorm(delta, delta.length) / rows : Double.NaN;
        nanos += System.nanoTime() - t0;
    }

    void recordDeltaOut(int block, INDArray epsilon) {
        long t0 = System.nanoTime();
        buffer = Arrays2.valuesInto(epsilon, buffer);
        deltaOut[block - 1] = finiteNorm(buffer, (int) epsilon.length()) / epsilon.size(0);
        nanos += System.nanoTime() - t0;
    }

    /** ‖x‖ of the first {@code n} values when all are finite, else NaN: {@code allFinite} and {@code l2} in two passes. */
    private static double finiteNorm(double[] x, int n) {
        return Stats.l2GivenMax(x, n, Stats.finiteMaxAbs(x, n));
    }

    private double[] buffer;
    private final double[] sums = new double[2];

    void recordActivation(int block, INDArray out) {
        long t0 = System.nanoTime();
        double[] a = Arrays2.toDoubles(out);
        nanos += System.nanoTime() - t0;
        recordActivation(block, a, (int) out.size(0));
    }

    /**
     * The same from the activations themselves: {@code a} holds exactly the minibatch's {@code rows} rows, row-major
     * (the dead fraction is per unit, i.e. per column).
     */
    void recordActivation(int block, double[] a, int rows) {
        long t0 = System.nanoTime();
        int i = block - 1;
        // mean and saturated share in one pass, then the deviations: the bits of Stats.mean, std, fractionOutside
        double[] range = saturationRange(activation);
        Stats.sumAndOutside(a, range == null ? Double.NEGATIVE_INFINITY : range[0],
                range == null ? Double.POSITIVE_INFINITY : range[1], sums);
        double mean = a.length == 0 ? Double.NaN : sums[0] / a.length;
        actMean[i] = mean;
        actStd[i] = Stats.stdGivenMean(a, mean);
        actSaturated[i] = range == null || a.length == 0 ? Double.NaN : sums[1] / a.length;
        actDead[i] = activation.canDie() ? Stats.deadFraction(a, rows, a.length / Math.max(1, rows)) : Double.NaN;
        nanos += System.nanoTime() - t0;
    }

    /**
     * Saturated share of activations: sigmoid below 0.01 or above 0.99; tanh and softsign beyond ±0.99
     * (where the derivative is below 0.02 for tanh); NaN for activations that do not saturate.
     */
    public static double saturated(Activation activation, double[] a) {
        double[] range = saturationRange(activation);
        return range == null ? Double.NaN : Stats.fractionOutside(a, range[0], range[1]);
    }

    private static final double[] SIGMOID_RANGE = {0.01, 0.99};
    private static final double[] SYMMETRIC_RANGE = {-0.99, 0.99};

    /** The range outside which {@link #saturated} counts an activation, or null for activations that do not saturate. */
    private static double[] saturationRange(Activation activation) {
        return switch (activation) {
            case SIGMOID -> SIGMOID_RANGE;
            case TANH, SOFTSIGN -> SYMMETRIC_RANGE;
            default -> null;
        };
    }

    /** ‖δ‖ at block {@code block}'s pre-activation (1-based) from the last armed pass; NaN if not recorded. */
    public double deltaPre(int block) {
        return deltaPre[block - 1];
    }

    /** ‖δ‖ at block {@code block}'s output (residual stream); NaN for plain blocks. */
    public double deltaOut(int block) {
        return deltaOut[block - 1];
    }

    public double actMean(int block) {
        return actMean[block - 1];
    }

    public double actStd(int block) {
        return actStd[block - 1];
    }

    public double actSaturated(int block) {
        return actSaturated[block - 1];
    }

    public double actDead(int block) {
        return actDead[block - 1];
    }
}
