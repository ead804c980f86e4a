package io.gradflow.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link FusedBatchNorm} computes what DL4J's own batch normalization computes, in training and in inference. */
class FusedBatchNormTest {

    private static ComputationGraph graph(LongFunction<Layer> bn, DataType type) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).dataType(type)
                .updater(new Adam(0.01)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("d1", LinearLayer.of(5, 6, false), "in")
                .addLayer("bn1", bn.apply(6), "d1")
                .addLayer("a1", new ActivationLayer(new ActivationTanH()), "bn1")
                .addLayer("d2", LinearLayer.of(6, 6, false), "a1")
                .addLayer("bn2", bn.apply(6), "d2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(new ActivationSoftmax()).build(), "bn2")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    private static ComputationGraph dl4j(DataType type) {
        return graph(n -> new BatchNormalization.Builder().nIn(n).nOut(n).build(), type);
    }

    private static ComputationGraph fused(DataType type) {
        return graph(FusedBatchNorm::of, type);
    }

    /**
     * A minibatch of 16: libnd4j's {@code batchnorm_bp} takes {@code 1/N} in single precision even for doubles
     * (with 11 rows the gradients below the layer differ from DL4J's by 2e-8, relative; with 16, where 1/N is
     * exact in float, by 1e-16 with ε = 0.5 and by about 1e-12 with DL4J's default ε = 1e-5). Training runs in
     * float32, where these differences are below the rounding anyway.
     */
    private static DataSet batch(DataType type, int seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(type, 16, 5).muli(2.0).addi(0.5); // off-centre, not unit scale
        INDArray y = Nd4j.zeros(type, 16, 3);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, (i + seed) % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    private static double relativeDifference(INDArray a, INDArray b) {
        double scale = Math.max(1e-12, a.norm2Number().doubleValue());
        return a.sub(b).norm2Number().doubleValue() / scale;
    }

    @Test
    void theGradientsAreDl4jsInDoublePrecision() {
        ComputationGraph a = dl4j(DataType.DOUBLE);
        ComputationGraph b = fused(DataType.DOUBLE);
        assertThat(b.params()).isEqualTo(a.params()); // same seed, same parameter layout
        DataSet ds = batch(DataType.DOUBLE, 3);
        for (ComputationGraph g : new ComputationGraph[]{a, b}) {
            g.setInput(0, ds.getFeatures());
            g.setLabels(ds.getLabels());
            g.computeGradientAndScore();
        }
        assertThat(b.score()).isCloseTo(a.score(), within(1e-12));
        Map<String, INDArray> ga = a.gradient().gradientForVariable();
        Map<String, INDArray> gb = b.gradient().gradientForVariable();
        assertThat(gb.keySet()).containsExactlyElementsOf(ga.keySet());
        for (String k : ga.keySet()) {
            assertThat(relativeDifference(ga.get(k), gb.get(k))).as("relative difference of gradient %s", k)
                    .isLessThan(1e-10);
        }
        // the weights below a batch norm get a non-zero gradient only through the minibatch mean and variance
        // paths being right: check it is not trivially zero
        assertThat(gb.get("d1_W").norm2Number().doubleValue()).isGreaterThan(1e-6);
    }

    @Test
    void trainingAndTheRunningStatisticsMatchDl4jOverManySteps() {
        ComputationGraph a = dl4j(DataType.DOUBLE);
        ComputationGraph b = fused(DataType.DOUBLE);
        for (int step = 0; step < 30; step++) {
            DataSet ds = batch(DataType.DOUBLE, 100 + step);
            a.fit(ds);
            b.fit(ds);
        }
        assertThat(relativeDifference(a.params(), b.params())).isLessThan(1e-10);
        // the running mean and log-std moved away from their initial values, and agree
        INDArray mean = b.getLayer("bn1").getParam("mean");
        assertThat(mean.norm2Number().doubleValue()).isGreaterThan(1e-3);
        assertThat(relativeDifference(a.getLayer("bn1").getParam("log10stdev"),
                b.getLayer("bn1").getParam("log10stdev"))).isLessThan(1e-10);
        // inference uses the running statistics: DL4J's code path, fed by the fused layer's updates
        INDArray x = batch(DataType.DOUBLE, 999).getFeatures();
        assertThat(relativeDifference(a.outputSingle(x), b.outputSingle(x))).isLessThan(1e-10);
    }

    @Test
    void floatTrainingStaysCloseToDl4jAndIsDeterministic() {
        ComputationGraph a = dl4j(DataType.FLOAT);
        ComputationGraph b = fused(DataType.FLOAT);
        ComputationGraph c = fused(DataType.FLOAT);
        for (int step = 0; step < 20; step++) {
            DataSet ds = batch(DataType.FLOAT, 200 + step);
            a.fit(ds);
            b.fit(ds);
            c.fit(ds);
        }
        assertThat(relativeDifference(a.params(), b.params())).isLessThan(1e-4);
        assertThat(c.params()).isEqualTo(b.params());
    }

    @Test
    void aCloneAndTheJsonRoundTripKeepTheFusedLayer() {
        ComputationGraph b = fused(DataType.FLOAT);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(b.getConfiguration().toJson());
        assertThat(back).isEqualTo(b.getConfiguration());
        ComputationGraph g = new ComputationGraph(back);
        g.init();
        assertThat(g.getLayer("bn1")).isInstanceOf(FusedBatchNorm.Impl.class);
        assertThat(FusedBatchNorm.of(8).clone()).isInstanceOf(FusedBatchNorm.class).isEqualTo(FusedBatchNorm.of(8));
    }
}
