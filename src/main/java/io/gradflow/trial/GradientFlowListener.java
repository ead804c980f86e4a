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
    private final double[][] weightsBefore;

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
        for (int l = 1; l <= depth; l++) {
            double[] gv = Arrays2.values(grad.getGradientFor(Network.weightParam(l)));
            // DL4J's raw gradient is of the minibatch's summed loss (its updater divides by the minibatch size);
            // the statistics are defined for the mean loss.
            for (int i = 0; i < gv.length; i++) {
                gv[i] /= batch;
            }
            long bad = Stats.nonFiniteCount(gv);
            gradNonFinite[l - 1] = bad;
            // A norm of non-finite values is undefined, not infinite: the count says how many there were.
            gradNorm[l - 1] = bad > 0 ? Double.NaN : Stats.l2(gv);
            gradMeanAbs[l - 1] = bad > 0 ? Double.NaN : Stats.meanAbs(gv);
            gradMaxAbs[l - 1] = bad > 0 ? Double.NaN : Stats.maxAbs(gv);
            double[] w = Arrays2.values(g.getParam(Network.weightParam(l)));
            weightsBefore[l - 1] = w;
            weightNorm[l - 1] = Stats.allFinite(w) ? Stats.l2(w) : Double.NaN;
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
            double[] after = Arrays2.values(now); // same view, same layout as before
            double[] before = weightsBefore[l - 1];
            double[] diff = new double[after.length];
            for (int i = 0; i < after.length; i++) {
                diff[i] = after[i] - before[i];
            }
            updateRatio[l - 1] = Stats.l2(diff) / weightNorm[l - 1];
            weightsBefore[l - 1] = null;
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
