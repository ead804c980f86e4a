package io.gradflow.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collection;
import java.util.Map;

/**
 * The {@link ComputationGraph} that {@link NetworkFactory} builds: DL4J's graph, whose gradient computation runs
 * gradflow's layers directly ({@link DirectStep}) where the network is one the direct step knows, and DL4J's own
 * traversal otherwise. Everything around it is DL4J's: {@code fit}, its {@code Solver} and step function, the
 * updater, the listeners (called in DL4J's order with DL4J's arguments: {@code onForwardPass} with the input and
 * every hidden vertex's output, {@code onBackwardPass}, then the solver's {@code onGradientCalculation} and
 * {@code iterationDone}; the one difference is that {@code onForwardPass} runs once the step's backward pass is
 * done too, which leaves the activations it is handed as they were), the parameters and the flattened gradient
 * views.
 *
 * <p>The first training step of a network always runs on DL4J's path: its {@code Gradient} (the map from
 * parameter names to the layers' gradient views, in DL4J's order, which listeners such as gradflow's clipping sum
 * over) is kept and handed out again by later direct steps, whose layers write into the same views. A gradient whose
 * arrays are not views of the network's flattened gradient keeps the network on DL4J's path.
 *
 * <p>{@link #direct} turns the direct step off (for tests that compare both paths, and as a switch for users:
 * {@code -Dgradflow.direct=false}).
 */
public class DirectGraph extends ComputationGraph {

    /** False in a JVM started with {@code -Dgradflow.direct=false}: every network trains on DL4J's path. */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("gradflow.direct"));

    private transient DirectStep step;
    private transient boolean planned;
    private transient Gradient kept;
    private transient INDArray[] labelsSet;
    private transient boolean masked;
    private transient boolean direct = ENABLED;
    private transient boolean tookDirect;

    public DirectGraph(ComputationGraphConfiguration configuration) {
        super(configuration);
    }

    /** Turns the direct step on or off for this network (it is on unless {@code -Dgradflow.direct=false}). */
    public void direct(boolean on) {
        direct = on;
    }

    /** Whether the last gradient computation took the direct step (for tests and benchmarks). */
    public boolean tookDirectStep() {
        return tookDirect;
    }

    @Override
    public void setLabels(INDArray... labels) {
        labelsSet = labels;
        super.setLabels(labels);
    }

    @Override
    public void setLayerMaskArrays(INDArray[] featureMaskArrays, INDArray[] labelMaskArrays) {
        masked = hasAny(featureMaskArrays) || hasAny(labelMaskArrays);
        super.setLayerMaskArrays(featureMaskArrays, labelMaskArrays);
    }

    @Override
    public void computeGradientAndScore() {
        DirectStep s = plan();
        INDArray[] in = getInputs();
        INDArray[] lab = labelsSet;
        if (s == null || !direct || masked || kept == null || in == null || in.length != 1 || lab == null
                || lab.length != 1 || !s.accepts(in[0], lab[0])) {
            tookDirect = false;
            super.computeGradientAndScore();
            if (s != null && kept == null && ownViews(gradient)) {
                kept = gradient;
            }
            return;
        }
        tookDirect = true;
        synchronizeIterEpochCounts();
        double regularization = calcRegularizationScore(true);
        double sc = s.run(in[0], lab[0], regularization);
        Collection<TrainingListener> listeners = getListeners();
        boolean listening = listeners != null && !listeners.isEmpty();
        // One scope out of the workspaces for both listener calls (DL4J opens one for each).
        try (MemoryWorkspace ws = listening ? Nd4j.getMemoryManager().scopeOutOfWorkspaces() : null) {
            if (listening) {
                Map<String, INDArray> acts = s.activations();
                for (TrainingListener l : listeners) {
                    l.onForwardPass(this, acts);
                }
            }
            // As DL4J's path: the score starts at 0 and the output layer's score is added to it.
            score = 0;
            score += sc;
            gradient = kept;
            if (listening) {
                for (TrainingListener l : listeners) {
                    l.onBackwardPass(this);
                }
            }
        }
    }

    /**
     * The inference-mode output (class probabilities) for the features {@code x}: the same bits as
     * {@code outputSingle(false, x)}, through {@link DirectStep#infer} where the direct step applies (less DL4J
     * bookkeeping per evaluation), else through DL4J.
     */
    public INDArray inference(INDArray x) {
        DirectStep s = plan();
        if (s == null || !direct || x == null || x.rank() != 2 || x.size(1) != s.inputs()) {
            return outputSingle(false, x);
        }
        return s.infer(x);
    }

    /** Frees the direct step's working arrays now (a trial's end; they are rebuilt if the network trains again). */
    public void releaseWorkingArrays() {
        if (step != null) {
            step.release();
        }
    }

    private DirectStep plan() {
        if (!planned) {
            step = DirectStep.of(this);
            planned = true;
        }
        return step;
    }

    /** Whether every array of {@code g} is a view of this network's flattened gradient. */
    private boolean ownViews(Gradient g) {
        INDArray flat = getFlattenedGradients();
        if (g == null || flat == null || g.gradientForVariable().isEmpty()) {
            return false;
        }
        long start = DirectBlas.address(flat);
        long end = start + flat.length() * flat.data().getElementSize();
        for (INDArray a : g.gradientForVariable().values()) {
            long at = DirectBlas.address(a);
            if (a.dataType() != flat.dataType() || at < start || at + a.length() * a.data().getElementSize() > end) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasAny(INDArray[] arrays) {
        if (arrays != null) {
            for (INDArray a : arrays) {
                if (a != null) {
                    return true;
                }
            }
        }
        return false;
    }
}
