package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * DL4J's batch normalization of dense activations, with its training-mode forward and backward passes computed
 * in one pass each by {@link BatchNormKernel} instead of DL4J's op-by-op fallback.
 *
 * <p>On the CPU backend without oneDNN, DL4J 1.0.0-M2.1 normalizes a minibatch in about 35 separate ND4J calls
 * per layer and step (mean, variance, centring, scaling, their derivatives, the running statistics), and it keeps
 * two minibatch-sized copies of the input. Per-call overhead, not arithmetic, then dominates: the bench measured
 * batch-normalized blocks at 18–26% of the SGEMM rate against 53–72% for plain ones (BENCHMARKS.md). libnd4j's
 * fused {@code batchnorm}/{@code batchnorm_bp} ops cut the calls to four, but those ops and the column-wise
 * variance still took about 40% of a width-256 step's samples (JFR). This layer reads the C-order minibatch and its
 * gradient straight from their native buffers, runs the kernel in double precision, and writes the result into
 * DL4J's workspace arrays: no ND4J call at all. DL4J's update of the running mean and log-standard-deviation is
 * computed the same way. The layer has DL4J's parameters, in DL4J's order, so saved networks, updaters and the
 * statistics see the same layer.
 *
 * <p>Anything the shortcut does not cover (inference mode, inputs that are not rank 2, locked γ/β, types other
 * than float and double, a DL4J helper such as cuDNN or oneDNN) goes to DL4J's own code. {@code FusedBatchNormTest}
 * checks gradients, training and the running statistics against DL4J's layer; {@code BatchNormKernelTest} checks
 * the kernel against finite differences.
 */
public class FusedBatchNorm extends BatchNormalization {

    /** For DL4J's JSON and clone machinery; use {@link #of}. */
    public FusedBatchNorm() {
    }

    /** Batch normalization of {@code n} features with DL4J's defaults (decay 0.9, ε 1e-5, learned γ and β). */
    public static FusedBatchNorm of(long n) {
        BatchNormalization built = new BatchNormalization.Builder().nIn(n).nOut(n).build();
        return LayerWiring.copyFields(BatchNormalization.class, built, new FusedBatchNorm());
    }

    @Override
    public FusedBatchNorm clone() {
        return (FusedBatchNorm) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        if (getNOut() <= 0) {
            throw new IllegalArgumentException("FusedBatchNorm layer " + layerIndex + " needs nOut > 0, got " + getNOut() + ".");
        }
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    /** The runtime layer. */
    public static class Impl extends org.deeplearning4j.nn.layers.normalization.BatchNormalization {

        /** The last training-mode minibatch's mean and variance, for the backward pass; null when DL4J's code ran. */
        private double[] batchMean;
        private double[] batchVar;
        /**
         * The kernel's minibatch-sized working arrays (input, output, incoming gradient). They are needed only
         * within one forward or backward call, so one set per thread serves every layer and step; one set per
         * layer would keep three minibatch-sized arrays per batch-norm layer on the heap.
         */
        private static final ThreadScratch SCRATCH = new ThreadScratch(3);

        private static double[] scratch(int which, long length) {
            return SCRATCH.get(which, length);
        }

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private boolean fusable(INDArray x) {
            BatchNormalization c = layerConf();
            return getHelper() == null && x.rank() == 2 && !c.isLockGammaBeta() && x.size(1) == c.getNOut()
                    && x.size(0) > 0 && x.length() < Integer.MAX_VALUE
                    && (dataType == DataType.FLOAT || dataType == DataType.DOUBLE);
        }

        @Override
        public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
            if (training != TrainingMode.TRAIN || !fusable(x)) {
                batchMean = null;
                return super.preOutput(x, training, workspaceMgr);
            }
            x = contiguous(x.castTo(dataType));
            int rows = (int) x.size(0);
            int n = (int) x.size(1);
            if (batchMean == null || batchMean.length != n) {
                batchMean = new double[n];
                batchVar = new double[n];
            }
            double[] xs = Arrays2.readInto(x, scratch(0, x.length()));
            double[] ys = scratch(1, x.length());
            BatchNormKernel.forward(xs, rows, n, Arrays2.vector(getParam(BatchNormalizationParamInitializer.GAMMA)),
                    Arrays2.vector(getParam(BatchNormalizationParamInitializer.BETA)), layerConf().getEps(), ys,
                    batchMean, batchVar);
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            Arrays2.writeFrom(ys, out);
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (batchMean == null || epsilon.rank() != 2) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            assertInputSet(true);
            BatchNormalization c = layerConf();
            INDArray x = contiguous(input.castTo(dataType));
            int rows = (int) x.size(0);
            int n = (int) x.size(1);
            double[] xs = Arrays2.readInto(x, scratch(0, x.length()));
            double[] gs = Arrays2.readInto(contiguous(epsilon.castTo(dataType)), scratch(2, x.length()));
            double[] ys = scratch(1, x.length());
            double[] dGamma = new double[n];
            double[] dBeta = new double[n];
            BatchNormKernel.backward(xs, gs, rows, n, batchMean, batchVar,
                    Arrays2.vector(getParam(BatchNormalizationParamInitializer.GAMMA)), c.getEps(), ys, dGamma, dBeta);
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
            Arrays2.writeFrom(ys, dx);

            Gradient ret = new DefaultGradient();
            INDArray dGammaView = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
            INDArray dBetaView = gradientViews.get(BatchNormalizationParamInitializer.BETA);
            Arrays2.setVector(dGammaView, dGamma);
            Arrays2.setVector(dBetaView, dBeta);
            ret.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
            ret.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
            runningStatistics(c, ret);
            return new Pair<>(ret, dx);
        }

        /**
         * DL4J's running mean and variance, as "gradients" the updater subtracts (DL4J's distributed-safe form):
         * {@code Δmean = (1 − decay)(mean − batchMean)}, and for the log-std parameterization
         * {@code Δlog10 σ = log10(σ²_t / σ²_{t+1}) / 2} with {@code σ²_{t+1} = decay·σ²_t + (1 − decay)·batchVar}
         * (or {@code Δvar = (1 − decay)(var − batchVar)}), DL4J 1.0.0-M2.1's formulas. They are vectors of one
         * value per feature, so they are computed here in Java, in double precision: as ND4J ops they were a dozen
         * calls per layer and step, each costing more in overhead than the arithmetic.
         */
        private void runningStatistics(BatchNormalization c, Gradient ret) {
            double keep = c.getDecay();
            double[] mean = Arrays2.vector(getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN));
            double[] d = new double[mean.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (mean[i] - batchMean[i]) * (1 - keep);
            }
            INDArray dGlobalMean = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            Arrays2.setVector(dGlobalMean, d);
            ret.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dGlobalMean);

            String key = c.isUseLogStd() ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                    : BatchNormalizationParamInitializer.GLOBAL_VAR;
            double[] p = Arrays2.vector(getParam(key));
            if (c.isUseLogStd()) {
                for (int i = 0; i < d.length; i++) {
                    double var = Math.pow(10.0, 2 * p[i]);
                    d[i] = Math.log(var / (keep * var + (1 - keep) * batchVar[i])) / (2 * Math.log(10.0));
                }
            } else {
                for (int i = 0; i < d.length; i++) {
                    d[i] = (p[i] - batchVar[i]) * (1 - keep);
                }
            }
            INDArray dGlobal = gradientViews.get(key);
            Arrays2.setVector(dGlobal, d);
            ret.setGradientFor(key, dGlobal);
        }

        /** The kernel reads and writes C-order arrays with default strides. */
        private static INDArray contiguous(INDArray a) {
            return Arrays2.rowMajor(a) ? a : a.dup('c');
        }
    }
}
