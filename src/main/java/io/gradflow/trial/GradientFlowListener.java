package io.gradflow.trial;

import io.gradflow.model.Arrays2;
import io.gradflow.model.Network;
import io.gradflow.model.Probe;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * Records the weight-gradient statistics of every hidden block on armed steps. DL4J calls
 * {@code onGradientCalculation} after backpropagation and before the updater, so the gradients are the raw
 * ones and no second forward/backward pass is needed; {@code iterationDone} runs after the update, which gives
 * ‖ΔW‖. On unarmed steps both return at once.
 */
public final class GradientFlowListener extends BaseTrainingListener {

    private final Probe probe;
    private final int depth;
    final double[] gradNorm;
    final double[] gradMeanAbs;
    final double[] gradMaxAbs;
    final long[] gradNonFinite;
    final double[] weightNorm;
    final double[] updateRatio;
    private final double[][] weightsBefore; // each block's weights at the armed step, a buffer reused per step
    private double[] gradient;                // one block's gradient, then ΔW: a buffer reused
    private final double[] summary = new double[5];

    public GradientFlowListener(Probe probe) {
        this.probe = probe;
        this.depth = probe.depth();
        gradNorm = new double[depth];
        gradMeanAbs = new double[depth];
        gradMaxAbs = new double[depth];
        gradNonFinite = new long[depth];
        weightNorm = new double[depth];
        updateRatio = new double[depth];
        weightsBefore = new double[depth][];
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (!probe.armed()) {
            return;
        }
        long t0 = System.nanoTime();
        ComputationGraph g = (ComputationGraph) model;
        Gradient grad = g.gradient();
        double batch = Math.max(1, probe.batchSize());
        double[] s = summary;
        for (int l = 1; l <= depth; l++) {
            INDArray ga = grad.getGradientFor(Network.weightParam(l));
            int n = (int) ga.length();
            double[] gv = gradient = Arrays2.valuesInto(ga, gradient);
            // DL4J's raw gradient is of the minibatch's summed loss (its updater divides by the minibatch size);
            // the statistics are defined for the mean loss.
            for (int i = 0; i < n; i++) {
                gv[i] /= batch;
            }
            INDArray wa = g.getParam(Network.weightParam(l));
            if (wa.length() != n) {
                throw new IllegalStateException("Block " + l + " has " + wa.length() + " weights but a weight gradient of "
                        + n + " values.");
            }
            double[] w = weightsBefore[l - 1] = Arrays2.valuesInto(wa, weightsBefore[l - 1]);
            // The count, max |g|, Σ|g|, ‖g‖ and ‖W‖ in two passes over the gradient and the weights (the bits of
            // nonFiniteCount, maxAbs, meanAbs and l2 apart, the three sums side by side); buffers reused.
            Stats.absSummaryAndNorm(gv, w, n, s);
            weightNorm[l - 1] = s[4];
            long bad = (long) s[0];
            gradNonFinite[l - 1] = bad;
            // A norm of non-finite values is undefined, not infinite: the count says how many there were.
            gradNorm[l - 1] = bad > 0 ? Double.NaN : s[3];
            gradMeanAbs[l - 1] = bad > 0 ? Double.NaN : s[2] / n;
            gradMaxAbs[l - 1] = bad > 0 ? Double.NaN : s[1];
        }
        probeNanos(t0);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!probe.armed()) {
            return;
        }
        long t0 = System.nanoTime();
        ComputationGraph g = (ComputationGraph) model;
        for (int l = 1; l <= depth; l++) {
            INDArray now = g.getParam(Network.weightParam(l));
            int n = (int) now.length();
            double[] diff = gradient = Arrays2.valuesInto(now, gradient); // same view, same layout as before
            double[] before = weightsBefore[l - 1];
            for (int i = 0; i < n; i++) {
                diff[i] = diff[i] - before[i];
            }
            updateRatio[l - 1] = Stats.l2(diff, n) / weightNorm[l - 1];
        }
        probeNanos(t0);
    }

    /** Clears the previous armed step's values. */
    public void reset() {
        for (double[] a : new double[][]{gradNorm, gradMeanAbs, gradMaxAbs, weightNorm, updateRatio}) {
            Arrays.fill(a, Double.NaN);
        }
        Arrays.fill(gradNonFinite, 0L);
    }

    private void probeNanos(long t0) {
        nanos += System.nanoTime() - t0;
    }

    long nanos;

    /** Nanoseconds spent recording since construction. */
    public long nanos() {
        return nanos;
    }
}
