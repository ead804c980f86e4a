package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;

/** What every DL4J layer configuration's {@code instantiate} does to a new runtime layer, in one place. */
final class LayerWiring {

    private LayerWiring() {
    }

    /** Gives {@code layer} its listeners, index, parameter view and parameters, as DL4J's own layers do. */
    static Layer wire(Layer layer, ParamInitializer initializer, NeuralNetConfiguration conf,
                      Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
                      boolean initializeParams) {
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer.init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }
}
