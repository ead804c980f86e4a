package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The learnable gate of a ReZero residual branch (Bachlechner et al. 2020; SkipInit, De &amp; Smith 2020): the output
 * is {@code α·x} with one scalar parameter α per block, starting at 0, so a block {@code x + α·F(x)} is the identity
 * at initialization and learns how much of its branch to let in. It is a layer rather than a graph vertex so that
 * DL4J treats α like every other parameter: the updater, the per-layer gradient normalization ({@code layer_norm},
 * {@code value}) and the flattened gradient that global-norm clipping rescales all include it.
 */
public class RezeroLayer extends FeedForwardLayer {

    /** The parameter's name in DL4J's parameter and gradient tables ({@code <layer>_alpha}). */
    public static final String ALPHA = "alpha";

    /** For DL4J's JSON and clone machinery; use {@link #of}. */
    public RezeroLayer() {
    }

    /** A gate for {@code n} features. */
    public static RezeroLayer of(long n) {
        // DL4J's builders call private constructors; take the defaults (regularization lists, updater slots) from one.
        DenseLayer built = new DenseLayer.Builder().nIn(n).nOut(n).activation(new ActivationIdentity()).build();
        return LayerWiring.copyFields(FeedForwardLayer.class, built, new RezeroLayer());
    }

    @Override
    public RezeroLayer clone() {
        return (RezeroLayer) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return Params.INSTANCE;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, RezeroLayer.class, inputType, getOutputType(-1, inputType))
                .standardMemory(1, 1).workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
    }

    /** One scalar α, initialized to 0; neither a weight nor a bias, so no weight decay or weight noise touches it. */
    static final class Params implements ParamInitializer {
        static final Params INSTANCE = new Params();

        @Override
        public long numParams(NeuralNetConfiguration conf) {
            return 1;
        }

        @Override
        public long numParams(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return 1;
        }

        @Override
        public List<String> paramKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return List.of(ALPHA);
        }

        @Override
        public List<String> weightKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return Collections.emptyList();
        }

        @Override
        public List<String> biasKeys(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return Collections.emptyList();
        }

        @Override
        public boolean isWeightParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return false;
        }

        @Override
        public boolean isBiasParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) {
            return false;
        }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
            INDArray alpha = paramsView.reshape('c', 1, 1);
            if (initializeParams) {
                alpha.assign(0.0);
            }
            Map<String, INDArray> m = new LinkedHashMap<>();
            m.put(ALPHA, alpha);
            return m;
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
            Map<String, INDArray> m = new LinkedHashMap<>();
            m.put(ALPHA, gradientView.reshape('c', 1, 1));
            return m;
        }
    }

    /** The runtime layer: {@code out = α·x}, {@code ∂/∂α = Σ ε∘x}, {@code ε_in = α·ε}. */
    public static class Impl extends org.deeplearning4j.nn.layers.BaseLayer<RezeroLayer> {

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** The current α. */
        public double alpha() {
            return getParam(ALPHA).getDouble(0);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(false);
            INDArray x = input.castTo(dataType);
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            out.assign(x).muli(alpha());
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            assertInputSet(true);
            INDArray x = input.castTo(dataType);
            // ∂loss/∂α = Σ over the minibatch and units of ε∘x, in the network's precision (a sum like DL4J's bias
            // gradient, of the summed loss: the updater divides by the minibatch size).
            INDArray grad = gradientViews.get(ALPHA);
            grad.assign(epsilon.castTo(dataType).mul(x).sumNumber());
            Gradient ret = new DefaultGradient();
            ret.gradientForVariable().put(ALPHA, grad);
            INDArray epsOut = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, epsilon.shape(), 'c');
            epsOut.assign(epsilon).muli(alpha());
            return new Pair<>(ret, epsOut);
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }

        @Override
        public boolean hasBias() {
            return false;
        }
    }
}
