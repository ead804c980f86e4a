package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * DL4J's dense layer with an identity activation, computed without the waste DL4J's generic layer has for
 * that case: the network's input projection, and every hidden block's affine map in the layered reference graph
 * ({@link NetworkFactory#buildLayered}). For it DL4J 1.0.0-M2.1 {@code BaseLayer}
 * <ul>
 *   <li>recomputes the whole forward pass {@code x·W + b} inside {@code backpropGradient}, only to hand it to the
 *       identity's derivative, which ignores it: one GEMM of four per step wasted;</li>
 *   <li>writes {@code x·W} into a temporary Fortran-order array and copies it into the C-order activation;</li>
 *   <li>issues an ND4J op for each of the GEMMs, the bias add and the bias gradient's sum, each costing more than
 *       its arithmetic at the widths sweeps use.</li>
 * </ul>
 * The profile of {@code gradflow bench}'s per-step shapes put the recomputation at 16–22% of a step (JFR, see
 * BENCHMARKS.md). This layer computes the three GEMMs as direct BLAS calls ({@link DenseGemm}) into a C-order
 * activation array, DL4J's gradient views and a C-order input gradient, and the bias and its gradient as Java
 * loops, and back-propagates {@code δ = ε} as the identity's derivative does, with the same gradient arithmetic as
 * DL4J's layer. Whenever a feature this shortcut does not cover is configured (dropout, weight noise, layer norm,
 * a mask, a non-identity activation, a type other than float or double), the runtime layer falls back to DL4J's
 * code. {@code LinearLayerTest} checks it against DL4J's dense layer in double precision.
 */
public class LinearLayer extends DenseLayer {

    /** For DL4J's JSON and clone machinery; use {@link #of}. */
    public LinearLayer() {
    }

    /** A dense {@code nIn → nOut} layer with an identity activation, and a bias if {@code bias}. */
    public static LinearLayer of(long nIn, long nOut, boolean bias) {
        DenseLayer built = new DenseLayer.Builder().nIn(nIn).nOut(nOut).hasBias(bias)
                .activation(new ActivationIdentity()).build();
        return LayerWiring.copyFields(DenseLayer.class, built, new LinearLayer());
    }

    @Override
    public LinearLayer clone() {
        return (LinearLayer) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    /** The runtime layer. */
    public static class Impl extends org.deeplearning4j.nn.layers.feedforward.dense.DenseLayer {

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** True when nothing but {@code x·W + b} with an identity activation is configured. */
        boolean plain() {
            DenseLayer c = layerConf();
            return c.getActivationFn() instanceof ActivationIdentity && !c.hasLayerNorm() && c.getIDropout() == null
                    && c.getWeightNoise() == null && maskArray == null;
        }

        private double[] rowsBuf = new double[0];
        private double[] bias = new double[0];

        @Override
        protected Pair<INDArray, INDArray> preOutputWithPreNorm(boolean training, boolean forBackprop,
                                                                LayerWorkspaceMgr workspaceMgr) {
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            if (!plain() || input == null || input.rank() != 2 || input.columns() != W.rows()
                    || !DirectBlas.supported(dataType)) {
                return super.preOutputWithPreNorm(training, forBackprop, workspaceMgr); // its checks and messages
            }
            INDArray x = DenseGemm.rowMajor(input.castTo(dataType));
            int r = (int) x.size(0);
            int nIn = (int) x.size(1);
            int n = (int) W.size(1);
            // A direct GEMM into the C-order activation array (DL4J's mmuli computes into a Fortran-order temporary
            // and copies; C order matters downstream, where element-wise ops on mixed orders take a slower path).
            INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{r, n}, 'c');
            forward(x, z, r, nIn, n);
            return new Pair<>(z, z);
        }

        /** {@code z = x·W + b} for a row-major {@code x} into the row-major {@code r × n} array {@code z}. */
        void forward(INDArray x, INDArray z, int r, int nIn, int n) {
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            DenseGemm.forward(dataType, x, W, z, r, nIn, n, layerId());
            if (hasBias()) {
                // z += b row by row, rounded to the network's type as DL4J's addiRowVector is.
                int len = r * n;
                double[] v = scratch(len);
                double[] b = biasValues(n);
                DirectBlas.read(dataType, DirectBlas.address(z), v, len);
                DenseGemm.addRow(v, r, n, b, dataType == DataType.FLOAT);
                DirectBlas.write(dataType, v, len, DirectBlas.address(z));
            }
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (!plain() || !DirectBlas.supported(dataType) || input.rank() != 2) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            assertInputSet(true);
            // The identity's derivative: δ = ε. DL4J's BaseLayer recomputes x·W + b here only to discard it.
            INDArray delta = DenseGemm.rowMajor(epsilon.castTo(dataType));
            INDArray x = DenseGemm.rowMajor(input.castTo(dataType));
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            int r = (int) x.size(0);
            int nIn = (int) x.size(1);
            int n = (int) W.size(1);
            if (delta.size(0) != r || delta.size(1) != n) {
                throw new IllegalStateException("Layer " + layerId() + " got an epsilon of shape "
                        + java.util.Arrays.toString(epsilon.shape()) + " for a minibatch of " + r + " × " + n + ".");
            }
            long d = DirectBlas.address(delta);
            Gradient ret = new DefaultGradient();
            parameterGradients(x, d, r, nIn, n, ret);
            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType,
                    new long[]{r, nIn}, 'c');
            DenseGemm.inputGradient(dataType, d, W, epsilonNext, r, nIn, n);
            return new Pair<>(ret, epsilonNext);
        }

        /**
         * The bias and weight gradients from δ at native address {@code d} (row-major {@code r × n}) into DL4J's
         * gradient views, and into {@code ret} where it is not null: the backward pass without the input gradient,
         * which the direct step does not need for the input projection (DL4J computes it and drops it).
         */
        void parameterGradients(INDArray x, long d, int r, int nIn, int n, Gradient ret) {
            if (hasBias()) {
                int len = r * n;
                double[] v = scratch(len);
                double[] sum = biasValues(n);
                DirectBlas.read(dataType, d, v, len);
                DenseGemm.columnSums(v, r, n, sum);
                INDArray biasGrad = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
                DenseGemm.requireVector(biasGrad, n, dataType, layerId());
                DirectBlas.write(dataType, sum, n, DirectBlas.address(biasGrad));
                if (ret != null) {
                    ret.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, biasGrad);
                }
            }
            INDArray weightGrad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
            DenseGemm.weightGradient(dataType, x, d, weightGrad, r, nIn, n, layerId());
            if (ret != null) {
                ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGrad);
            }
        }

        private double[] scratch(int len) {
            if (rowsBuf.length < len) {
                rowsBuf = new double[len];
            }
            return rowsBuf;
        }

        /** The bias's values (a working vector of length n, also the bias gradient's sums in backprop). */
        private double[] biasValues(int n) {
            if (bias.length != n) {
                bias = new double[n];
            }
            INDArray b = getParam(DefaultParamInitializer.BIAS_KEY);
            DenseGemm.requireVector(b, n, dataType, layerId());
            DirectBlas.read(dataType, DirectBlas.address(b), bias, n);
            return bias;
        }
    }
}
