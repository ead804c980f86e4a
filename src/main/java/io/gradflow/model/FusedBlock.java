package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.trial.Stats;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One hidden block, {@code φ(BN(x·W))} or {@code φ(x·W + b)}, as a single DL4J layer that issues no ND4J op in
 * training: the three GEMMs of a step are direct OpenBLAS calls on the arrays' native buffers ({@link DirectBlas}),
 * and bias, batch norm and the activation, forward and backward, are plain Java loops in double precision over
 * per-layer working arrays, rounded to the network's type where the unfused graph (LinearLayer → FusedBatchNorm →
 * ProbedActivationLayer) had an array: the pre-activation, the output, δ at the pre-activation and δ at the GEMM.
 * Float ReLU and identity blocks without batch norm run their un-sampled training steps on float arrays instead,
 * with the same bits ({@code floatPathApplies}); float ReLU and identity blocks with batch norm run every training
 * step in single precision ({@link FloatBatchNorm}), sampled or not, so that the statistics never change training.
 *
 * <p>Why: a width-64 step was mostly the fixed cost of issuing ND4J ops (55–80 µs each, BENCHMARKS.md), about ten
 * per block and step; here a block costs three JNI crossings for the GEMMs, a few bulk copies, and DL4J's two
 * workspace allocations (its output and its input gradient, which DL4J's graph expects in its workspaces).
 *
 * <p>DL4J stays the framework: the parameters are the DL4J dense layer's {@code W} (and {@code b}) followed by the
 * batch-norm layer's {@code gamma, beta, mean, log10stdev}, in that order, as views of the network's flattened
 * parameters, so the flattened layout, DL4J's updaters (the running statistics get DL4J's no-op updater and are not
 * divided by the minibatch size, as in DL4J's batch-norm layer) and the listeners see what they saw in the unfused
 * graph. Batch norm has DL4J's defaults (decay 0.9, ε 1e-5, log-std running variance) and formulas (see
 * {@link BatchNormKernel} and {@link FusedBatchNorm}); inference uses the running statistics as DL4J does.
 * The activations are {@link BlockActivation}'s. While the network's {@link Probe} is armed the block records what
 * {@link ProbedActivationLayer} records: ‖δ‖ at the pre-activation and the statistics of its output, from the same
 * Java arrays. Computation is single-threaded in a fixed order, so results are bit-identical run to run.
 * {@code FusedBlockTest} checks it against DL4J's own layers in double precision.
 */
public class FusedBlock extends DenseLayer {

    private boolean batchNorm;
    private double bnEps;
    private double bnDecay;
    private boolean bnLogStd;

    /** For DL4J's JSON and clone machinery; use {@link #of}. */
    public FusedBlock() {
    }

    /**
     * A block of {@code n} units: a dense {@code n → n} map (with a bias unless {@code batchNorm}), DL4J's batch norm
     * with its defaults if {@code batchNorm}, then {@code activation}, which must be one {@link BlockActivation} knows.
     */
    public static FusedBlock of(long n, IActivation activation, boolean batchNorm) {
        if (BlockActivation.of(activation) == null) {
            throw new IllegalArgumentException("activation " + activation + " is not supported by the fused block; "
                    + "use one that NetworkFactory.activation returns.");
        }
        DenseLayer built = new DenseLayer.Builder().nIn(n).nOut(n).hasBias(!batchNorm).activation(activation).build();
        FusedBlock b = LayerWiring.copyFields(DenseLayer.class, built, new FusedBlock());
        BatchNormalization defaults = new BatchNormalization.Builder().nIn(n).nOut(n).build();
        b.batchNorm = batchNorm;
        b.bnEps = defaults.getEps();
        b.bnDecay = defaults.getDecay();
        b.bnLogStd = defaults.isUseLogStd();
        return b;
    }

    public boolean isBatchNorm() {
        return batchNorm;
    }

    public void setBatchNorm(boolean batchNorm) {
        this.batchNorm = batchNorm;
    }

    public double getBnEps() {
        return bnEps;
    }

    public void setBnEps(double bnEps) {
        this.bnEps = bnEps;
    }

    public double getBnDecay() {
        return bnDecay;
    }

    public void setBnDecay(double bnDecay) {
        this.bnDecay = bnDecay;
    }

    public boolean isBnLogStd() {
        return bnLogStd;
    }

    public void setBnLogStd(boolean bnLogStd) {
        this.bnLogStd = bnLogStd;
    }

    /** DL4J's configuration of the batch-norm part, for its parameter initializer (shapes and initial values). */
    BatchNormalization batchNormConf() {
        return new BatchNormalization.Builder().nIn(getNOut()).nOut(getNOut()).eps(bnEps).decay(bnDecay)
                .useLogStd(bnLogStd).build();
    }

    @Override
    public FusedBlock clone() {
        return (FusedBlock) super.clone();
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        // As DL4J's batch-norm layer: its running statistics are set by their "gradient", not optimized.
        if (Params.isRunningStatistic(paramName)) {
            return new NoOp();
        }
        return super.getUpdaterByParam(paramName);
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        if (!DirectBlas.supported(networkDataType)) {
            throw new IllegalArgumentException("The fused block computes in float or double, not " + networkDataType + ".");
        }
        if (getIDropout() != null || getWeightNoise() != null || hasLayerNorm() || getNIn() != getNOut()) {
            throw new IllegalArgumentException("The fused block covers square dense blocks without dropout, weight "
                    + "noise or layer norm; layer " + getLayerName() + " has nIn " + getNIn() + ", nOut " + getNOut() + ".");
        }
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusedBlock f && super.equals(o) && f.batchNorm == batchNorm && f.bnEps == bnEps
                && f.bnDecay == bnDecay && f.bnLogStd == bnLogStd;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + (batchNorm ? 1 : 0);
    }

    /**
     * The dense layer's parameters (DL4J's {@link DefaultParamInitializer}) followed by the batch-norm layer's
     * ({@link BatchNormalizationParamInitializer}), each initialized by DL4J's own initializer on its part of the view.
     */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();

        static boolean isRunningStatistic(String key) {
            return BatchNormalizationParamInitializer.GLOBAL_MEAN.equals(key)
                    || BatchNormalizationParamInitializer.GLOBAL_VAR.equals(key)
                    || BatchNormalizationParamInitializer.GLOBAL_LOG_STD.equals(key);
        }

        private static long denseParams(FusedBlock b) {
            return DefaultParamInitializer.getInstance().numParams(b);
        }

        private static NeuralNetConfiguration bnConf(NeuralNetConfiguration conf) {
            NeuralNetConfiguration c = conf.clone();
            c.setLayer(((FusedBlock) conf.getLayer()).batchNormConf());
            return c;
        }

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return numParams(conf.getLayer());
        }

        @Override
        public long numParams(org.deeplearning4j.nn.conf.layers.Layer layer) {
            FusedBlock b = (FusedBlock) layer;
            return denseParams(b) + (b.batchNorm ? BatchNormalizationParamInitializer.getInstance().numParams(b.batchNormConf()) : 0);
        }

        @Override
        public List<String> paramKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            FusedBlock b = (FusedBlock) layer;
            List<String> keys = new ArrayList<>(DefaultParamInitializer.getInstance().paramKeys(b));
            if (b.batchNorm) {
                keys.addAll(BatchNormalizationParamInitializer.getInstance().paramKeys(b.batchNormConf()));
            }
            return keys;
        }

        @Override
        public List<String> weightKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return DefaultParamInitializer.getInstance().weightKeys(layer);
        }

        @Override
        public List<String> biasKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return DefaultParamInitializer.getInstance().biasKeys(layer);
        }

        @Override
        public boolean isWeightParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return DefaultParamInitializer.getInstance().isWeightParam(layer, key);
        }

        @Override
        public boolean isBiasParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return DefaultParamInitializer.getInstance().isBiasParam(layer, key);
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray view, boolean initialize) {
            return split(conf, view, (c, v, bn) -> bn
                    ? BatchNormalizationParamInitializer.getInstance().init(c, v, initialize)
                    : DefaultParamInitializer.getInstance().init(c, v, initialize));
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray view) {
            return split(conf, view, (c, v, bn) -> bn
                    ? BatchNormalizationParamInitializer.getInstance().getGradientsFromFlattened(c, v)
                    : DefaultParamInitializer.getInstance().getGradientsFromFlattened(c, v));
        }

        private interface Part {
            Map<String, INDArray> apply(NeuralNetConfiguration conf, INDArray view, boolean batchNormPart);
        }

        private static Map<String, INDArray> split(NeuralNetConfiguration conf, INDArray view, Part part) {
            FusedBlock b = (FusedBlock) conf.getLayer();
            long dense = denseParams(b);
            if (view.length() != numParamsOf(b)) {
                throw new IllegalStateException("Fused block " + b.getLayerName() + " expects " + numParamsOf(b)
                        + " parameters, got a view of " + view.length() + ".");
            }
            Map<String, INDArray> out = new LinkedHashMap<>(part.apply(conf, slice(view, 0, dense), false));
            if (b.batchNorm) {
                out.putAll(part.apply(bnConf(conf), slice(view, dense, view.length()), true));
            }
            return out;
        }

        private static long numParamsOf(FusedBlock b) {
            return INSTANCE.numParams(b);
        }

        /** Elements [from, to) of the flattened (row-vector or rank-1) view, as a row-vector view. */
        private static INDArray slice(INDArray v, long from, long to) {
            return v.rank() == 1 ? v.get(NDArrayIndex.interval(from, to))
                    : v.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(from, to));
        }
    }

    /** The runtime layer. */
    public static class Impl extends org.deeplearning4j.nn.layers.feedforward.dense.DenseLayer {

        private final BlockActivation phi;
        private Probe probe;
        private int block;

        // The last training-mode forward pass, for the backward pass (per layer: it lives until DL4J backpropagates).
        private boolean forwardDone;
        private int rows;
        private double[] z;     // x·W, batch norm's input (batch norm only)
        private double[] u;     // the pre-activation: x·W + b, or BN(x·W)
        private double[] buf;   // the output on the way out, then δ on the way back
        private double[] dphi;  // φ'(u), for the activations that compute it with φ (BlockActivation.cachesDerivative)
        // The float path (floatPathApplies): the pre-activation and the output, then δ, as floats.
        private final boolean floatKind;
        private boolean floatStep;
        private int floatRows;
        private float[] uf;
        private float[] yf;
        private final float[] biasF;
        // Batch norm on the float path: its input x·W, and its per-column vectors (null for other blocks).
        private float[] xf;
        private final float[][] bnF;
        // Double copies of the float path's arrays for the probe, on sampled steps only.
        private double[] probeA;
        private double[] probeB;
        private final int n;
        private final double[] mean;
        private final double[] var;
        private final double[] gamma;
        private final double[] beta;
        private final double[] vec1;
        private final double[] vec2;
        private final double[] vec3;
        private final double[] vec4;
        private final double[] vec5;
        private final double[] vec6;

        /** Working array for inference passes, whose minibatches (a test set) need no state. */
        private static final ThreadScratch SCRATCH = new ThreadScratch(1);

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            FusedBlock c = (FusedBlock) conf.getLayer();
            phi = BlockActivation.of(c.getActivationFn());
            n = (int) c.getNOut();
            mean = new double[n];
            var = new double[n];
            gamma = new double[n];
            beta = new double[n];
            vec1 = new double[n];
            vec2 = new double[n];
            vec3 = new double[n];
            vec4 = new double[n];
            vec5 = new double[n];
            vec6 = new double[n];
            biasF = new float[n];
            floatKind = dataType == DataType.FLOAT
                    && (phi.kind() == Activation.RELU || phi.kind() == Activation.IDENTITY);
            // γ, β, μ, σ², γ/σ, 1/σ, the three backward coefficients, ∂γ and ∂β
            bnF = floatKind && c.batchNorm ? new float[11][n] : null;
        }

        void attach(Probe probe, int block) {
            this.probe = probe;
            this.block = block;
        }

        private FusedBlock block() {
            return (FusedBlock) conf.getLayer();
        }

        private boolean armed() {
            return probe != null && probe.armed();
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            if (maskArray != null) {
                throw new UnsupportedOperationException("The fused block " + layerId() + " does not take masks.");
            }
            INDArray x = rowMajor(input.castTo(dataType));
            int r = (int) x.size(0);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{r, n}, 'c');
            gemmForward(x, out, r);
            if (!training) {
                inferenceForward(out, r);
                return out;
            }
            trainingForward(out, r);
            return out;
        }

        /** The inference-mode forward pass of row-major {@code x} into {@code out}: the direct step's inference. */
        void inferenceForward(INDArray x, INDArray out, int r) {
            gemmForward(x, out, r);
            inferenceForward(out, r);
        }

        /**
         * The inference-mode forward pass from x·W, already in {@code out}, to the block's output in {@code out}
         * (batch norm with the running statistics); no state is kept.
         */
        private void inferenceForward(INDArray out, int r) {
            int len = r * n;
            FusedBlock c = block();
            forwardDone = false;
            double[] s = inferenceScratch(len);
            DirectBlas.read(dataType, DirectBlas.address(out), s, len);
            if (c.batchNorm) {
                inferenceBatchNorm(s, r, c);
            } else {
                addBias(s, r);
            }
            boolean toFloat = dataType == DataType.FLOAT;
            if (toFloat) {
                BlockActivation.roundToFloat(s, len);
            }
            phi.forward(s, s, len, false); // the write rounds
            DirectBlas.write(dataType, s, len, DirectBlas.address(out));
        }

        /**
         * The training-mode forward pass from x·W, already in {@code out} (row-major {@code r × n}), to the block's
         * output in {@code out}, keeping what the backward pass needs: DL4J's {@link #activate} and the direct step
         * ({@link DirectStep}) both come here, so both compute the same bits.
         */
        void trainingForward(INDArray out, int r) {
            FusedBlock c = block();
            int len = r * n;
            if (floatPathApplies()) {
                forwardFloat(out, r, len);
                return;
            }
            floatStep = false;
            if (rows != r || u == null) {
                rows = r;
                u = new double[len];
                buf = new double[len];
                z = c.batchNorm ? new double[len] : null;
                dphi = phi.cachesDerivative() ? new double[len] : null;
            }
            if (c.batchNorm) {
                DirectBlas.read(dataType, DirectBlas.address(out), z, len);
                readVector(BatchNormalizationParamInitializer.GAMMA, gamma);
                readVector(BatchNormalizationParamInitializer.BETA, beta);
                trainingBatchNorm(r, c.bnEps);
            } else {
                DirectBlas.read(dataType, DirectBlas.address(out), u, len);
                addBias(u, r);
            }
            // u is rounded to the network's type already: the pre-activation array of the layered graph.
            if (dphi != null) {
                phi.forwardTraining(u, buf, dphi, len, dataType == DataType.FLOAT);
            } else {
                phi.forward(u, buf, len, dataType == DataType.FLOAT);
            }
            DirectBlas.write(dataType, buf, len, DirectBlas.address(out));
            forwardDone = true;
            if (armed()) {
                probe.recordActivation(block, buf, r);
            }
        }

        /** The direct step's forward pass: {@code out = φ(BN(x·W))} or {@code φ(x·W + b)} for row-major {@code x}. */
        void trainingForward(INDArray x, INDArray out, int r) {
            gemmForward(x, out, r);
            trainingForward(out, r);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            assertInputSet(true);
            INDArray x = rowMajor(input.castTo(dataType));
            INDArray eps = rowMajor(epsilon.castTo(dataType));
            Gradient ret = new DefaultGradient();
            // dx goes into DL4J's activation-gradient workspace, C order as the previous layer expects.
            INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[]{x.size(0), x.size(1)}, 'c');
            trainingBackward(x, eps, dx, ret);
            return new Pair<>(ret, dx);
        }

        /**
         * The backward pass of the last training-mode forward pass: from ε at the block's output ({@code eps},
         * row-major) to the parameter gradients in DL4J's gradient views and the input gradient in {@code dx}
         * (row-major, may be {@code eps}'s own memory: ε is read before dx is written). {@code ret}, where not null,
         * gets the gradient views as DL4J's {@code Gradient} in DL4J's order; the direct step passes null.
         */
        void trainingBackward(INDArray x, INDArray eps, INDArray dx, Gradient ret) {
            if (!forwardDone) {
                throw new IllegalStateException("The fused block " + layerId() + " backpropagates only after a "
                        + "training-mode forward pass.");
            }
            FusedBlock c = block();
            int r = floatStep ? floatRows : rows;
            int len = r * n;
            if (eps.length() != len) {
                throw new IllegalStateException("The fused block " + layerId() + " got an epsilon of shape "
                        + java.util.Arrays.toString(eps.shape()) + " for a minibatch of " + r + " × " + n + ".");
            }
            if (floatStep) {
                backwardFloat(x, eps, dx, r, len, ret);
                return;
            }
            double[] d = buf;
            DirectBlas.read(dataType, DirectBlas.address(eps), d, len);
            boolean armed = armed();
            boolean inputsFinite = armed && Stats.allFinite(d) && Stats.allFinite(u);
            boolean toFloat = dataType == DataType.FLOAT;
            if (dphi != null) {
                BlockActivation.backwardCached(dphi, d, len, toFloat);
            } else {
                phi.backward(u, d, len, toFloat);
            }
            if (armed) {
                probe.recordDeltaPre(block, d, r, inputsFinite);
            }
            if (c.batchNorm) {
                batchNormBackward(d, r, c.bnEps); // rounded to the network's type by the write below
                writeGradient(ret, BatchNormalizationParamInitializer.GAMMA, vec1);
                writeGradient(ret, BatchNormalizationParamInitializer.BETA, vec2);
                runningStatistics(c, ret);
            } else if (hasBias()) {
                DenseGemm.columnSums(d, r, n, vec1);
                writeGradient(ret, DefaultParamInitializer.BIAS_KEY, vec1);
            }
            long delta = DirectBlas.work(dataType, len);
            DirectBlas.write(dataType, d, len, delta);
            gemmBackward(x, ret, delta, r, dx);
        }

        /** dW = xᵀ·δ and dx = δ·Wᵀ from δ at native address {@code delta}: the GEMM half of the backward pass. */
        private void gemmBackward(INDArray x, Gradient ret, long delta, int r, INDArray dx) {
            int nIn = (int) x.size(1);
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            INDArray dW = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
            // dW = xᵀ·δ, straight into DL4J's gradient view, in the view's own layout.
            DenseGemm.weightGradient(dataType, x, delta, dW, r, nIn, n, layerId());
            if (ret != null) {
                ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, dW);
            }
            if (dx.length() != (long) r * nIn) {
                throw new IllegalStateException("The fused block " + layerId() + " was given an input gradient array of "
                        + dx.length() + " values for a minibatch of " + r + " × " + nIn + ".");
            }
            DenseGemm.inputGradient(dataType, delta, W, dx, r, nIn, n);
        }

        @Override
        public boolean updaterDivideByMinibatch(String paramName) {
            // DL4J's batch-norm layer: the running statistics' "gradients" are already the updates.
            return !Params.isRunningStatistic(paramName);
        }

        /** For tests: false turns the float path off, so that both paths can be compared. */
        static volatile boolean floatPath = true;

        /**
         * Whether this training step takes the float path: a float network, ReLU or identity, and either batch norm
         * (every step: {@link FloatBatchNorm}'s single precision is this block's arithmetic, so a sampled step must
         * take it too) or no batch norm and the probe not armed (a sampled step records its statistics from the
         * double arrays). Why: at width 64 the copies between float and double arrays were a tenth of a step, and
         * batch norm's double loops with their conversions a quarter of a 256-wide one. Without batch norm the float
         * path gives the double path's bits: the bias add is one float addition (which the double sum rounded to
         * float equals), ReLU selects, and the bias gradient is summed in double in the same order.
         */
        private boolean floatPathApplies() {
            return floatKind && floatPath && (bnF != null || !armed());
        }

        private void forwardFloat(INDArray out, int r, int len) {
            if (uf == null || uf.length != len) {
                uf = new float[len];
                yf = new float[len];
            }
            floatRows = r;
            if (bnF != null) {
                forwardFloatBatchNorm(out, r, len);
                return;
            }
            float[] z = uf;
            DirectBlas.readFloats(DirectBlas.address(out), z, len);
            if (hasBias()) {
                readVector(DefaultParamInitializer.BIAS_KEY, vec1);
                float[] b = biasF;
                for (int j = 0; j < n; j++) {
                    b[j] = (float) vec1[j]; // exact: the parameters are floats
                }
                DenseGemm.addRow(z, r, n, b);
            }
            if (phi.kind() == Activation.RELU) {
                float[] y = yf;
                for (int i = 0; i < len; i++) {
                    y[i] = Math.max(z[i], 0f); // NaN passes, -0 becomes +0: as the double path
                }
                DirectBlas.writeFloats(y, len, DirectBlas.address(out));
            } else {
                DirectBlas.writeFloats(z, len, DirectBlas.address(out));
            }
            floatStep = true;
            forwardDone = true;
        }

        /** {@link #forwardFloat} with batch norm: {@link FloatBatchNorm#forward} from x·W in {@code out}. */
        private void forwardFloatBatchNorm(INDArray out, int r, int len) {
            FusedBlock c = block();
            if (xf == null || xf.length != len) {
                xf = new float[len];
            }
            DirectBlas.readFloats(DirectBlas.address(out), xf, len);
            readVector(BatchNormalizationParamInitializer.GAMMA, gamma);
            readVector(BatchNormalizationParamInitializer.BETA, beta);
            float[] g = bnF[0];
            float[] b = bnF[1];
            for (int j = 0; j < n; j++) {
                g[j] = (float) gamma[j]; // exact: the parameters are floats
                b[j] = (float) beta[j];
            }
            boolean relu = phi.kind() == Activation.RELU;
            float[] y = relu ? yf : uf;
            FloatBatchNorm.forward(xf, r, n, g, b, c.bnEps, relu, bnF[2], bnF[3], bnF[4], uf, y);
            for (int j = 0; j < n; j++) {
                mean[j] = bnF[2][j]; // the running statistics' update reads them in double
                var[j] = bnF[3][j];
            }
            DirectBlas.writeFloats(y, len, DirectBlas.address(out));
            floatStep = true;
            forwardDone = true;
            if (armed()) {
                probe.recordActivation(block, widenForProbe(y, len, true), r);
            }
        }

        /** {@link #backwardFloat} with batch norm: the activation's and {@link FloatBatchNorm#backward}'s passes. */
        private void backwardFloatBatchNorm(INDArray x, INDArray eps, INDArray dx, int r, int len, Gradient ret) {
            FusedBlock c = block();
            float[] g = yf;
            DirectBlas.readFloats(DirectBlas.address(eps), g, len);
            boolean armed = armed();
            boolean inputsFinite = armed && Stats.allFinite(widenForProbe(g, len, true))
                    && Stats.allFinite(widenForProbe(uf, len, false));
            FloatBatchNorm.activationBackward(uf, g, len, phi.kind() == Activation.RELU);
            if (armed) {
                probe.recordDeltaPre(block, widenForProbe(g, len, true), r, inputsFinite);
            }
            FloatBatchNorm.backward(g, xf, r, n, bnF[2], bnF[3], bnF[0], c.bnEps, bnF[9], bnF[10], bnF[5], bnF[6],
                    bnF[7], bnF[8]);
            for (int j = 0; j < n; j++) {
                vec1[j] = bnF[9][j];
                vec2[j] = bnF[10][j];
            }
            writeGradient(ret, BatchNormalizationParamInitializer.GAMMA, vec1);
            writeGradient(ret, BatchNormalizationParamInitializer.BETA, vec2);
            runningStatistics(c, ret);
            long delta = DirectBlas.work(dataType, len);
            DirectBlas.writeFloats(g, len, delta);
            gemmBackward(x, ret, delta, r, dx);
        }

        /** {@code v} widened (exactly) into one of two double arrays kept for the probe: sampled steps only. */
        private double[] widenForProbe(float[] v, int len, boolean first) {
            double[] d = first ? probeA : probeB;
            if (d == null || d.length != len) {
                d = new double[len];
                if (first) {
                    probeA = d;
                } else {
                    probeB = d;
                }
            }
            DirectBlas.widen(v, d, len);
            return d;
        }

        private void backwardFloat(INDArray x, INDArray eps, INDArray dx, int r, int len, Gradient ret) {
            if (bnF != null) {
                backwardFloatBatchNorm(x, eps, dx, r, len, ret);
                return;
            }
            float[] g = yf;
            float[] z = uf;
            DirectBlas.readFloats(DirectBlas.address(eps), g, len);
            if (phi.kind() == Activation.RELU) {
                for (int i = 0; i < len; i++) {
                    // x > 0 ? ε : +0 (a NaN pre-activation gives 0), as the double path, and as it without a branch:
                    // half the units are negative, at random, and a branch mispredicts on them
                    int b = Float.floatToRawIntBits(z[i]);
                    int m = (-b >> 31) & ((b - 0x7F800001) >> 31);
                    g[i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[i]) & m);
                }
            }
            if (hasBias()) {
                DenseGemm.columnSums(g, r, n, vec1);
                writeGradient(ret, DefaultParamInitializer.BIAS_KEY, vec1);
            }
            long delta = DirectBlas.work(dataType, len);
            DirectBlas.writeFloats(g, len, delta);
            gemmBackward(x, ret, delta, r, dx);
        }

        /** out = x·W by BLAS, whichever of DL4J's two layouts W has. */
        private void gemmForward(INDArray x, INDArray out, int r) {
            DenseGemm.forward(dataType, x, getParam(DefaultParamInitializer.WEIGHT_KEY), out, r, (int) x.size(1), n, layerId());
        }

        /** {@code v += b} row by row, rounded to the network's type (x·W is, as a GEMM output, already). */
        private void addBias(double[] v, int r) {
            if (!hasBias()) {
                return;
            }
            readVector(DefaultParamInitializer.BIAS_KEY, vec1);
            DenseGemm.addRow(v, r, n, vec1, dataType == DataType.FLOAT);
        }

        /**
         * {@link BatchNormKernel#forward}'s arithmetic, operation for operation (two-pass mean and biased variance,
         * {@code (x − μ)·γ/√(σ² + ε) + β}), from {@link #z} into {@link #u} rounded to the network's type, without
         * its per-call arrays.
         */
        private void trainingBatchNorm(int r, double eps) {
            double[] x = z;
            boolean vector = FastExp.vectorized(); // VectorBlockLoops: the same operations lane by lane
            java.util.Arrays.fill(mean, 0.0);
            java.util.Arrays.fill(var, 0.0);
            if (vector) {
                VectorBlockLoops.columnSums(x, r, n, mean);
            } else {
                for (int row = 0; row < r; row++) {
                    int o = row * n;
                    for (int j = 0; j < n; j++) {
                        mean[j] += x[o + j];
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                mean[j] /= r;
            }
            if (vector) {
                VectorBlockLoops.squaredDeviations(x, r, n, mean, var);
            } else {
                for (int row = 0; row < r; row++) {
                    int o = row * n;
                    for (int j = 0; j < n; j++) {
                        double dd = x[o + j] - mean[j];
                        var[j] += dd * dd;
                    }
                }
            }
            double[] scale = vec1;
            for (int j = 0; j < n; j++) {
                var[j] /= r;
                scale[j] = gamma[j] / Math.sqrt(var[j] + eps);
            }
            boolean toFloat = dataType == DataType.FLOAT;
            if (vector) {
                VectorBlockLoops.normalize(x, r, n, mean, scale, beta, u);
            } else {
                for (int row = 0; row < r; row++) {
                    int o = row * n;
                    for (int j = 0; j < n; j++) {
                        u[o + j] = (x[o + j] - mean[j]) * scale[j] + beta[j];
                    }
                }
            }
            if (toFloat) {
                BlockActivation.roundToFloat(u, r * n);
            }
        }

        /**
         * {@link BatchNormKernel#backward}'s arithmetic in place on {@code g} (δ at the pre-activation in, δ at the
         * GEMM out); ∂L/∂γ goes to {@link #vec1} and ∂L/∂β to {@link #vec2}.
         */
        private void batchNormBackward(double[] g, int r, double eps) {
            double[] x = z;
            double[] inv = vec3;
            double[] dGamma = vec1;
            double[] dBeta = vec2;
            for (int j = 0; j < n; j++) {
                inv[j] = 1.0 / Math.sqrt(var[j] + eps);
            }
            java.util.Arrays.fill(dGamma, 0.0);
            java.util.Arrays.fill(dBeta, 0.0);
            boolean vector = FastExp.vectorized(); // VectorBlockLoops: the same operations lane by lane
            if (vector) {
                VectorBlockLoops.backwardSums(g, x, r, n, mean, inv, dBeta, dGamma);
            } else {
                for (int row = 0; row < r; row++) {
                    int o = row * n;
                    for (int j = 0; j < n; j++) {
                        double gj = g[o + j];
                        dBeta[j] += gj;
                        dGamma[j] += gj * (x[o + j] - mean[j]) * inv[j];
                    }
                }
            }
            // a = γ/σ, b = ∂L/∂β / N, c = ∂L/∂γ / N, as in the kernel; gamma still holds the forward pass's γ.
            // Per column first (the same operations on the same operands, so the same bits as computing them per
            // element): the inner loop then has no division, and the JIT vectorizes it.
            double[] a = vec4;
            double[] b = vec5;
            double[] cc = vec6;
            for (int j = 0; j < n; j++) {
                a[j] = gamma[j] * inv[j];
                b[j] = dBeta[j] / r;
                cc[j] = dGamma[j] / r;
            }
            if (vector) {
                VectorBlockLoops.backwardInput(g, x, r, n, mean, inv, a, b, cc);
                return;
            }
            for (int row = 0; row < r; row++) {
                int o = row * n;
                for (int j = 0; j < n; j++) {
                    double xh = (x[o + j] - mean[j]) * inv[j];
                    g[o + j] = a[j] * (g[o + j] - b[j] - xh * cc[j]);
                }
            }
        }

        /** DL4J's inference-mode batch norm with the running statistics: {@code (x − mean)/√(var + ε)·γ + β}. */
        private void inferenceBatchNorm(double[] s, int r, FusedBlock c) {
            readVector(BatchNormalizationParamInitializer.GAMMA, gamma);
            readVector(BatchNormalizationParamInitializer.BETA, beta);
            double[] m = vec1;
            double[] std = vec2;
            readVector(BatchNormalizationParamInitializer.GLOBAL_MEAN, m);
            if (c.bnLogStd) {
                readVector(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, std);
                for (int j = 0; j < n; j++) {
                    double sd = Math.pow(10.0, std[j]);
                    std[j] = Math.sqrt(sd * sd + c.bnEps);
                }
            } else {
                readVector(BatchNormalizationParamInitializer.GLOBAL_VAR, std);
                for (int j = 0; j < n; j++) {
                    std[j] = Math.sqrt(std[j] + c.bnEps);
                }
            }
            for (int row = 0; row < r; row++) {
                int o = row * n;
                for (int j = 0; j < n; j++) {
                    s[o + j] = (s[o + j] - m[j]) / std[j] * gamma[j] + beta[j];
                }
            }
        }

        /** {@link FusedBatchNorm}'s running-statistics "gradients", DL4J 1.0.0-M2.1's formulas. */
        private void runningStatistics(FusedBlock c, Gradient ret) {
            double keep = c.bnDecay;
            double[] d = vec3;
            double[] p = vec1; // ∂L/∂γ is written already
            readVector(BatchNormalizationParamInitializer.GLOBAL_MEAN, p);
            for (int i = 0; i < n; i++) {
                d[i] = (p[i] - mean[i]) * (1 - keep);
            }
            writeGradient(ret, BatchNormalizationParamInitializer.GLOBAL_MEAN, d);
            String key = c.bnLogStd ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                    : BatchNormalizationParamInitializer.GLOBAL_VAR;
            readVector(key, p);
            if (c.bnLogStd) {
                for (int i = 0; i < n; i++) {
                    double v = Math.pow(10.0, 2 * p[i]);
                    d[i] = Math.log(v / (keep * v + (1 - keep) * var[i])) / (2 * Math.log(10.0));
                }
            } else {
                for (int i = 0; i < n; i++) {
                    d[i] = (p[i] - var[i]) * (1 - keep);
                }
            }
            writeGradient(ret, key, d);
        }

        private void readVector(String key, double[] dst) {
            INDArray v = getParam(key);
            requireVector(v);
            DirectBlas.read(dataType, DirectBlas.address(v), dst, n);
        }

        private void writeGradient(Gradient ret, String key, double[] values) {
            INDArray v = gradientViews.get(key);
            requireVector(v);
            DirectBlas.write(dataType, values, n, DirectBlas.address(v));
            if (ret != null) {
                ret.setGradientFor(key, v);
            }
        }

        private void requireVector(INDArray v) {
            DenseGemm.requireVector(v, n, dataType, layerId());
        }

        private double[] inferenceScratch(int len) {
            return SCRATCH.get(0, len);
        }

        private static INDArray rowMajor(INDArray a) {
            return DenseGemm.rowMajor(a);
        }
    }
}
