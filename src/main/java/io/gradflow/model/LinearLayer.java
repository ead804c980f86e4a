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
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collection;

/**
 * DL4J's dense layer with an identity activation, computed without the waste DL4J's generic layer has for
 * that case. Every hidden block's affine map is one of these (the activation is its own layer, so that the
 * {@link Probe} sees the pre-activation gradient), and for it DL4J 1.0.0-M2.1 {@code BaseLayer}
 * <ul>
 *   <li>recomputes the whole forward pass {@code x·W + b} inside {@code backpropGradient}, only to hand it to the
 *       identity's derivative, which ignores it: one GEMM of four per step wasted;</li>
 *   <li>writes {@code x·W} into a temporary Fortran-order array and copies it into the C-order activation.</li>
 * </ul>
 * The profile of {@code gradflow bench}'s per-step shapes put the recomputation at 16–22% of a step (JFR, see
 * BENCHMARKS.md). This layer computes the output directly into a Fortran-order activation array and
 * back-propagates {@code δ = ε} as the identity's derivative does, with the same gradient arithmetic as DL4J's
 * layer. Whenever a feature this shortcut does not cover is configured (dropout, weight noise, layer norm, a
 * mask, a non-identity activation), the runtime layer falls back to DL4J's code.
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
        private boolean plain() {
            DenseLayer c = layerConf();
            return c.getActivationFn() instanceof ActivationIdentity && !c.hasLayerNorm() && c.getIDropout() == null
                    && c.getWeightNoise() == null && maskArray == null;
        }

        @Override
        protected Pair<INDArray, INDArray> preOutputWithPreNorm(boolean training, boolean forBackprop,
                                                                LayerWorkspaceMgr workspaceMgr) {
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            if (!plain() || input == null || input.rank() != 2 || input.columns() != W.rows()) {
                return super.preOutputWithPreNorm(training, forBackprop, workspaceMgr); // its checks and messages
            }
            INDArray x = input.castTo(dataType);
            // GEMM straight into the C-order activation array (libnd4j's matmul takes either order):
            // INDArray.mmuli would compute into a Fortran-order temporary and copy. C order matters downstream,
            // where element-wise ops on arrays of mixed orders take a much slower path.
            INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, W.dataType(),
                    new long[]{x.size(0), W.size(1)}, 'c');
            Nd4j.gemm(x, W, z, false, false, 1.0, 0.0);
            if (hasBias()) {
                z.addiRowVector(getParam(DefaultParamInitializer.BIAS_KEY));
            }
            return new Pair<>(z, z);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (!plain()) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            assertInputSet(true);
            // The identity's derivative: δ = ε. DL4J's BaseLayer recomputes x·W + b here only to discard it.
            INDArray delta = epsilon;
            Gradient ret = new DefaultGradient();
            if (hasBias()) {
                INDArray biasGrad = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
                delta.sum(biasGrad, 0);
                ret.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, biasGrad);
            }
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            INDArray epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(),
                    new long[]{W.size(0), delta.size(0)}, 'f');
            epsilonNext = W.mmuli(delta.transpose(), epsilonNext).transpose();
            INDArray weightGrad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
            Nd4j.gemm(input.castTo(weightGrad.dataType()), delta, weightGrad, true, false, 1.0, 0.0);
            ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGrad);
            return new Pair<>(ret, epsilonNext);
        }
    }
}
