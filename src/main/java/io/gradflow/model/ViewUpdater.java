package io.gradflow.model;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * DL4J's own graph updater, handed the network's gradient in the form DL4J's updater recognizes as its own.
 *
 * <p>Why: DL4J 1.0.0-M2.1's updater decides whether a gradient is "external" (computed by another network, as RL4J
 * does) by object identity, {@code gradient.gradient() != getFlattenedGradientsView()}, but
 * {@code DefaultGradient.gradient()} returns a new reshaped view on every call, so the test always says external.
 * On that path the updater rebuilds, on every step and for every parameter of every updater block, views of the
 * whole parameter and gradient vectors (two reshapes and two interval gets each, twice), and the minibatch
 * division's subsets. With batch norm (whose running statistics split the flattened vector into about twenty
 * updater blocks) that was about a third of a 64-wide step (JFR, BENCHMARKS.md). The arithmetic on both paths is
 * the same, on the same memory: the external path's views and the standard path's cached views cover the same
 * elements, so the updates are bit-identical ({@code ViewUpdaterTest}); only the bookkeeping goes.
 *
 * <p>A gradient that is not the network's own (another buffer) is passed through unchanged.
 */
public final class ViewUpdater extends ComputationGraphUpdater {

    /** DL4J's updater for {@code graph}, with a fresh (zeroed on first use) state, as DL4J makes it. */
    public ViewUpdater(ComputationGraph graph) {
        super(graph);
    }

    /** Installs a {@link ViewUpdater} on {@code graph} before its first step (it has no updater state yet). */
    public static void install(ComputationGraph graph) {
        graph.setUpdater(new ViewUpdater(graph));
    }

    @Override
    public synchronized void update(Gradient gradient, int iteration, int epoch, int batchSize,
                                    LayerWorkspaceMgr workspaceMgr) {
        super.update(own(gradient, getFlattenedGradientsView()), iteration, epoch, batchSize, workspaceMgr);
    }

    /**
     * {@code g} with {@code gradient()} returning {@code view} itself when {@code g}'s flattened gradient is
     * {@code view}'s memory (same address, length and type), else {@code g}.
     */
    static Gradient own(Gradient g, INDArray view) {
        INDArray flat = g.gradient();
        if (flat == view || flat == null || view == null) {
            return g;
        }
        boolean same = flat.length() == view.length() && flat.dataType() == view.dataType()
                && contiguousVector(flat) && contiguousVector(view)
                && DirectBlas.address(flat) == DirectBlas.address(view);
        return same ? new Own(g, view) : g;
    }

    private static boolean contiguousVector(INDArray a) {
        return a.rank() == 1 ? a.stride(0) == 1 : a.rank() == 2 && a.size(0) == 1 && a.stride(1) == 1;
    }

    /** A gradient whose flattened form is the updater's own view; everything else is the original's. */
    private record Own(Gradient g, INDArray view) implements Gradient {
        @Override
        public Map<String, INDArray> gradientForVariable() {
            return g.gradientForVariable();
        }

        @Override
        public INDArray gradient(List<String> order) {
            return g.gradient(order);
        }

        @Override
        public INDArray gradient() {
            return view;
        }

        @Override
        public void clear() {
            g.clear();
        }

        @Override
        public INDArray getGradientFor(String variable) {
            return g.getGradientFor(variable);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray gradient) {
            return g.setGradientFor(variable, gradient);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray gradient, Character flatteningOrder) {
            return g.setGradientFor(variable, gradient, flatteningOrder);
        }

        @Override
        public Character flatteningOrderForVariable(String variable) {
            return g.flatteningOrderForVariable(variable);
        }
    }
}
