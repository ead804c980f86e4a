package io.gradflow.model;

import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.ArrayList;
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
        INDArray view = getFlattenedGradientsView();
        Gradient g = own(gradient, view);
        if (g.gradient() == view && batchSize > 0 && sgdPlan() != null) {
            sgd.apply(view, batchSize);
            return;
        }
        super.update(g, iteration, epoch, batchSize, workspaceMgr);
    }

    private boolean planned;
    private SgdPlan sgd;

    /** The fused SGD step for this network, or null where DL4J's updater blocks run (see {@link SgdPlan#of}). */
    SgdPlan sgdPlan() {
        if (!planned) {
            sgd = SgdPlan.of(getUpdaterBlocks(), isMiniBatch());
            planned = true;
        }
        return sgd;
    }

    /**
     * DL4J's SGD update of a network whose updater blocks are all plain SGD (a constant learning rate) or no-op
     * (batch norm's running statistics), without per-block ND4J ops: for each parameter's range of the flattened
     * gradient, the division by the minibatch size where DL4J divides ({@code updaterDivideByMinibatch}), then the
     * product with the block's learning rate where the block is SGD, in that order and in the array's type, as
     * DL4J's {@code divi} and {@code SgdUpdater} compute them. Products are direct {@code ?scal} calls; the division
     * is one too when the minibatch size is a power of two (its reciprocal is exact, so the product equals the
     * quotient), else a Java pass (a float quotient computed in double and rounded once is the correctly rounded
     * float quotient). Why: with batch norm the running statistics' no-op updater splits the flattened vector into
     * two blocks per layer, and DL4J issued two ND4J ops per block, about a fifth of a 64-wide step. Networks without
     * batch norm (one block) take it too since the direct step ({@link DirectStep}) took DL4J's graph machinery out
     * of the step: DL4J's two ops and their bookkeeping were then a tenth of the Java time of a 64 × 10 ReLU step
     * (JFR), against two JNI calls here.
     */
    static final class SgdPlan {
        /** Every network of SGD blocks takes the plan (there was a floor of 3 blocks before the direct step). */
        static final int MIN_BLOCKS = 1;
        private static final int CHUNK = 8192;

        private final int[] start;
        private final int[] end;
        private final boolean[] divide;
        private final double[] rate; // NaN: no-op updater
        private double[] buf = new double[0];

        private SgdPlan(int[] start, int[] end, boolean[] divide, double[] rate) {
            this.start = start;
            this.end = end;
            this.divide = divide;
            this.rate = rate;
        }

        /**
         * The plan, or null unless there are at least {@link #MIN_BLOCKS} blocks, every block is SGD without a
         * schedule or no-op, no parameter has regularization or gradient normalization (clipping), none is a
         * pretraining parameter, and DL4J divides by the minibatch ({@code miniBatch}).
         */
        static SgdPlan of(List<UpdaterBlock> blocks, boolean miniBatch) {
            if (!miniBatch || blocks.size() < MIN_BLOCKS) {
                return null;
            }
            List<int[]> ranges = new ArrayList<>();
            List<Boolean> divides = new ArrayList<>();
            List<Double> rates = new ArrayList<>();
            for (UpdaterBlock ub : blocks) {
                if (ub.isPretrainUpdaterBlock()) {
                    return null;
                }
                UpdaterBlock.ParamState first = ub.getLayersAndVariablesInBlock().get(0);
                IUpdater u = first.getLayer().getConfig().getUpdaterByParam(first.getParamName());
                double r;
                if (u instanceof Sgd s && s.getLearningRateSchedule() == null && s.getLearningRate() != 0) {
                    r = s.getLearningRate();
                } else if (u instanceof NoOp) {
                    r = Double.NaN;
                } else {
                    return null;
                }
                for (UpdaterBlock.ParamState p : ub.getLayersAndVariablesInBlock()) {
                    TrainingConfig tc = p.getLayer().getConfig();
                    GradientNormalization gn = tc.getGradientNormalization();
                    List<Regularization> reg = tc.getRegularizationByParam(p.getParamName());
                    if ((gn != null && gn != GradientNormalization.None) || (reg != null && !reg.isEmpty())) {
                        return null;
                    }
                    ranges.add(new int[]{p.getParamOffsetStart(), p.getParamOffsetEnd()});
                    divides.add(p.getLayer().updaterDivideByMinibatch(p.getParamName()));
                    rates.add(r);
                }
            }
            int n = ranges.size();
            int[] s = new int[n];
            int[] e = new int[n];
            boolean[] d = new boolean[n];
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = ranges.get(i)[0];
                e[i] = ranges.get(i)[1];
                d[i] = divides.get(i);
                r[i] = rates.get(i);
            }
            return new SgdPlan(s, e, d, r);
        }

        /** Applies the division and the learning rates to {@code view}, the flattened gradient, in place. */
        void apply(INDArray view, int batchSize) {
            DataType t = view.dataType();
            long base = DirectBlas.address(view);
            long size = view.data().getElementSize();
            boolean powerOfTwo = Integer.bitCount(batchSize) == 1;
            for (int i = 0; i < start.length; i++) {
                int len = end[i] - start[i];
                if (len <= 0) {
                    continue;
                }
                long addr = base + start[i] * size;
                if (divide[i]) {
                    if (powerOfTwo) {
                        if (batchSize != 1) {
                            DirectBlas.scal(t, len, 1.0 / batchSize, addr);
                        }
                    } else {
                        divide(t, addr, len, batchSize);
                    }
                }
                if (!Double.isNaN(rate[i])) {
                    DirectBlas.scal(t, len, rate[i], addr);
                }
            }
        }

        private void divide(DataType t, long addr, int len, int batchSize) {
            if (buf.length < Math.min(len, CHUNK)) {
                buf = new double[CHUNK];
            }
            boolean toFloat = t == DataType.FLOAT;
            long size = toFloat ? 4 : 8;
            for (int from = 0; from < len; from += CHUNK) {
                int m = Math.min(CHUNK, len - from);
                long a = addr + from * size;
                DirectBlas.read(t, a, buf, m);
                for (int j = 0; j < m; j++) {
                    double q = buf[j] / batchSize;
                    buf[j] = toFloat ? (float) q : q;
                }
                DirectBlas.write(t, buf, m, a);
            }
        }
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
