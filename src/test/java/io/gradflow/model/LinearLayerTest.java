package io.gradflow.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link LinearLayer} computes what DL4J's own dense layer computes, gradients and outputs alike. */
class LinearLayerTest {

    /** Builds the hidden layer under test: {@code nIn → nOut}, with a bias or not. */
    private interface Dense {
        org.deeplearning4j.nn.conf.layers.Layer make(long nIn, long nOut, boolean bias);
    }

    private static ComputationGraph graph(Dense dense) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).biasInit(0.3).graphBuilder()
                .addInputs("in")
                .addLayer("d1", dense.make(4, 4, true), "in")
                .addLayer("d2", dense.make(4, 7, false), "d1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(3)
                        .activation(new ActivationSoftmax()).build(), "d2")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static DataSet batch() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 9, 4);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 9, 3);
        for (int i = 0; i < 9; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    private static void assertSameGradients(ComputationGraph a, ComputationGraph b) {
        DataSet ds = batch();
        assertThat(b.params()).isEqualTo(a.params()); // same seed, same parameter layout
        assertThat(b.outputSingle(ds.getFeatures())).isEqualTo(a.outputSingle(ds.getFeatures()));
        a.setInput(0, ds.getFeatures());
        a.setLabels(ds.getLabels());
        b.setInput(0, ds.getFeatures());
        b.setLabels(ds.getLabels());
        a.computeGradientAndScore();
        b.computeGradientAndScore();
        assertThat(b.score()).isCloseTo(a.score(), within(1e-14));
        Map<String, INDArray> ga = a.gradient().gradientForVariable();
        Map<String, INDArray> gb = b.gradient().gradientForVariable();
        assertThat(gb.keySet()).containsExactlyElementsOf(ga.keySet());
        for (String k : ga.keySet()) {
            double scale = Math.max(1e-12, ga.get(k).norm2Number().doubleValue());
            double diff = ga.get(k).sub(gb.get(k)).norm2Number().doubleValue();
            assertThat(diff / scale).as("relative difference of gradient %s", k).isLessThan(1e-13);
        }
        // and five SGD steps later the parameters, the scores and the inference outputs still agree
        for (int step = 0; step < 5; step++) {
            a.fit(ds);
            b.fit(ds);
            assertThat(b.score()).isCloseTo(a.score(), within(1e-13));
        }
        double drift = a.params().sub(b.params()).norm2Number().doubleValue() / a.params().norm2Number().doubleValue();
        assertThat(drift).isLessThan(1e-13);
        INDArray oa = a.outputSingle(ds.getFeatures());
        double out = oa.sub(b.outputSingle(ds.getFeatures())).norm2Number().doubleValue() / oa.norm2Number().doubleValue();
        assertThat(out).isLessThan(1e-13);
    }

    @Test
    void identityDenseGivesDl4jGradients() {
        ComputationGraph dl4j = graph((in, n, bias) -> new DenseLayer.Builder().nIn(in).nOut(n).hasBias(bias)
                .activation(new ActivationIdentity()).build());
        ComputationGraph ours = graph(LinearLayer::of);
        assertThat(ours.getLayer("d1")).isInstanceOf(LinearLayer.Impl.class);
        assertThat(ours.getLayer("d2").conf().getLayer()).isInstanceOf(LinearLayer.class);
        assertSameGradients(dl4j, ours);
    }

    @Test
    void aNonIdentityActivationFallsBackToDl4jsCode() {
        ComputationGraph dl4j = graph((in, n, bias) -> new DenseLayer.Builder().nIn(in).nOut(n).hasBias(bias)
                .activation(new ActivationTanH()).build());
        ComputationGraph ours = graph((in, n, bias) -> {
            LinearLayer l = LinearLayer.of(in, n, bias);
            l.setActivationFn(new ActivationTanH());
            return l;
        });
        assertSameGradients(dl4j, ours);
    }

    @Test
    void survivesDl4jsConfigurationJsonRoundTrip() {
        ComputationGraph g = graph(LinearLayer::of);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertThat(back).isEqualTo(g.getConfiguration());
        ComputationGraph h = new ComputationGraph(back);
        h.init(g.params(), true);
        assertThat(h.getLayer("d2")).isInstanceOf(LinearLayer.Impl.class);
        assertThat(h.getLayer("d2").conf().getLayer()).isInstanceOf(LinearLayer.class);
        assertThat(((DenseLayer) h.getLayer("d2").conf().getLayer()).hasBias()).isFalse();
    }
}
