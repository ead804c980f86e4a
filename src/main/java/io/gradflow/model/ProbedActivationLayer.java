package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/**
 * DL4J's activation layer, plus a hook: while the network's {@link Probe} is armed it records the norm of the
 * epsilon it passes back (∂loss/∂pre-activation of its block) and the statistics of its forward output.
 */
public class ProbedActivationLayer extends org.deeplearning4j.nn.conf.layers.ActivationLayer {

    public ProbedActivationLayer(IActivation activationFn) {
        super(activationFn);
    }

    /** For DL4J's JSON machinery (the layered reference graph round-trips like the fused one). */
    public ProbedActivationLayer() {
        super(new org.nd4j.linalg.activations.impl.ActivationIdentity());
    }

    @Override
    public ProbedActivationLayer clone() {
        return (ProbedActivationLayer) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    /** The runtime layer. */
    public static class Impl extends org.deeplearning4j.nn.layers.ActivationLayer {
        private Probe probe;
        private int block;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        void attach(Probe probe, int block) {
            this.probe = probe;
            this.block = block;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            Pair<Gradient, INDArray> p = super.backpropGradient(epsilon, workspaceMgr);
            if (probe != null && probe.armed()) {
                probe.recordDeltaPre(block, p.getSecond(), epsilon, input);
            }
            return p;
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            INDArray out = super.activate(training, mgr);
            if (training && probe != null && probe.armed()) {
                probe.recordActivation(block, out);
            }
            return out;
        }
    }
}
