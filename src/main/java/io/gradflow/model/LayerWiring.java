package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;

/**
 * What gradflow's own DL4J layer configurations share: copying a configuration DL4J's builder made, and what
 * every configuration's {@code instantiate} does to a new runtime layer.
 */
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

    /**
     * Copies every instance field declared by {@code type} and its superclasses from {@code built} to {@code target}.
     * DL4J's layer builders call private constructors, so a subclass of a DL4J layer configuration takes all the
     * fields of one the builder made: nothing the builder sets (constraints, regularization lists, defaults) is
     * missed or left null.
     */
    static <T, S extends T> S copyFields(Class<T> type, T built, S target) {
        for (Class<?> k = type; k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                f.setAccessible(true);
                try {
                    f.set(target, f.get(built));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("Cannot copy the DL4J layer field " + f.getName() + ".", e);
                }
            }
        }
        return target;
    }
}
