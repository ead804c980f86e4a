package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SoftmaxOutputLayer} against DL4J's own {@code OutputLayer} (softmax, MCXENT) in double precision, with the
 * same parameters: inference outputs, the score, every gradient (including the input gradient, through the hidden
 * layer's), six Adam steps; with saturated logits (DL4J's clipping of p in the score), soft labels, and with and
 * without a bias in the hidden layer's input. Also float determinism and closeness, and a JSON round trip.
 */
class SoftmaxOutputLayerTest {

    private static final int IN = 5;
    private static final int W = 6;
    private static final int CLASSES = 4;
    private static final int ROWS = 9;
    private static final double TOL = 1e-12;

    private static ComputationGraph graph(boolean ours, DataType dt) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().seed(3).dataType(dt)
                .updater(new Adam(0.05)).graphBuilder().addInputs("in")
                .addLayer("h", new DenseLayer.Builder().nIn(IN).nOut(W).activation(new ActivationTanH()).build(), "in")
                .addLayer("out", ours ? SoftmaxOutputLayer.of(W, CLASSES)
                        : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(W).nOut(CLASSES)
                        .activation(new ActivationSoftmax()).build(), "h")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    /** Inputs scaled by {@code scale} (large: saturated softmax); one-hot labels, or soft ones. */
    private static DataSet data(long seed, DataType dt, double scale, boolean soft) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, ROWS, IN);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, ROWS, CLASSES);
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < IN; j++) {
                x.putScalar(i, j, scale * r.nextGaussian());
            }
            if (soft) {
                y.putScalar(i, i % CLASSES, 0.7);
                y.putScalar(i, (i + 1) % CLASSES, 0.3);
            } else {
                y.putScalar(i, i % CLASSES, 1.0);
            }
        }
        return new DataSet(x.castTo(dt), y.castTo(dt));
    }

    private static INDArray randomParams(ComputationGraph g, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray p = g.params().dup();
        for (long i = 0; i < p.length(); i++) {
            p.putScalar(i, scale * r.nextGaussian());
        }
        return p;
    }

    private static double rel(INDArray a, INDArray b) {
        double scale = Math.max(1e-300, b.norm2Number().doubleValue());
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).norm2Number().doubleValue() / scale;
    }

    @ParameterizedTest(name = "logit scale {0}")
    @ValueSource(doubles = {0.5, 3.0, 40.0})
    void trainsAndInfersAsDl4jsOutputLayerInDouble(double scale) {
        for (boolean soft : new boolean[]{false, true}) {
            ComputationGraph ref = graph(false, DataType.DOUBLE);
            ComputationGraph ours = graph(true, DataType.DOUBLE);
            assertThat(ours.getLayer("out")).isInstanceOf(SoftmaxOutputLayer.Impl.class);
            INDArray p = randomParams(ref, 11, scale);
            ref.setParams(p);
            ours.setParams(p.dup());
            DataSet ds = data(5, DataType.DOUBLE, 1.0, soft);
            assertThat(rel(ours.outputSingle(ds.getFeatures()), ref.outputSingle(ds.getFeatures()))).isLessThan(TOL);
            for (ComputationGraph g : new ComputationGraph[]{ref, ours}) {
                g.setInput(0, ds.getFeatures());
                g.setLabels(ds.getLabels());
                g.computeGradientAndScore();
            }
            assertThat(ours.score()).isCloseTo(ref.score(), org.assertj.core.api.Assertions.within(TOL * Math.max(1, ref.score())));
            if (scale == 40.0 && !soft) {
                // saturated: some p are clipped at 1e-10 in DL4J's score, so the score is large but finite
                assertThat(ref.score()).isGreaterThan(1.0).isFinite();
            }
            Map<String, INDArray> gr = ref.gradient().gradientForVariable();
            Map<String, INDArray> go = ours.gradient().gradientForVariable();
            assertThat(go.keySet()).containsExactlyInAnyOrderElementsOf(gr.keySet());
            for (String key : gr.keySet()) {
                assertThat(rel(go.get(key), gr.get(key))).as("gradient %s", key).isLessThan(TOL);
            }
            for (int step = 0; step < 6; step++) {
                DataSet b = data(100 + step, DataType.DOUBLE, 1.0, soft);
                ref.fit(b);
                ours.fit(b);
                assertThat(ours.score()).as("score at step %d", step)
                        .isCloseTo(ref.score(), org.assertj.core.api.Assertions.within(1e-10 * Math.max(1, ref.score())));
            }
            assertThat(rel(ours.params(), ref.params())).isLessThan(1e-10);
            assertThat(rel(ours.outputSingle(ds.getFeatures()), ref.outputSingle(ds.getFeatures()))).isLessThan(1e-10);
        }
    }

    @Test
    void floatIsCloseToDl4jAndBitIdenticalRunToRun() {
        ComputationGraph ref = graph(false, DataType.FLOAT);
        ComputationGraph a = graph(true, DataType.FLOAT);
        ComputationGraph b = graph(true, DataType.FLOAT);
        INDArray p = randomParams(ref, 13, 1.0);
        for (ComputationGraph g : new ComputationGraph[]{ref, a, b}) {
            g.setParams(p.dup());
        }
        for (int step = 0; step < 10; step++) {
            DataSet d = data(200 + step, DataType.FLOAT, 1.0, false);
            ref.fit(d);
            a.fit(d);
            b.fit(d);
            assertThat(a.score()).isEqualTo(b.score());
            assertThat(a.score()).isCloseTo(ref.score(), org.assertj.core.api.Assertions.within(1e-5 * ref.score()));
        }
        assertThat(a.params()).isEqualTo(b.params());
        assertThat(rel(a.params(), ref.params())).isLessThan(1e-5);
        // Inference: the Java softmax (computed in double, rounded to float) against ND4J's float op on the same
        // parameters: a rounding apart, and the same bits run to run.
        INDArray x = data(300, DataType.FLOAT, 2.0, false).getFeatures();
        a.setParams(ref.params().dup());
        INDArray ours = a.outputSingle(x);
        assertThat(ours.dataType()).isEqualTo(DataType.FLOAT);
        assertThat(rel(ours, ref.outputSingle(x))).isLessThan(1e-6);
        assertThat(floatBits(b.outputSingle(x))).isNotEqualTo(floatBits(ours)); // b's own parameters: can differ
        b.setParams(ref.params().dup());
        assertThat(floatBits(b.outputSingle(x))).isEqualTo(floatBits(ours));
    }

    private static int[] floatBits(INDArray a) {
        float[] v = a.reshape(a.length()).toFloatVector();
        int[] bits = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            bits[i] = Float.floatToRawIntBits(v[i]);
        }
        return bits;
    }

    @Test
    void isTheNetworkFactorysOutputLayerAndSurvivesJson() {
        var c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 2, 5);
        ComputationGraph g = NetworkFactory.build(c, 4, 3).graph();
        assertThat(g.getLayer(NetworkFactory.OUTPUT)).isInstanceOf(SoftmaxOutputLayer.Impl.class);
        assertThat(NetworkFactory.buildLayered(c, 4, 3).graph().getLayer(NetworkFactory.OUTPUT))
                .isNotInstanceOf(SoftmaxOutputLayer.Impl.class);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(g.getConfiguration().toJson());
        assertThat(((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices().get(NetworkFactory.OUTPUT))
                .getLayerConf().getLayer()).isInstanceOf(SoftmaxOutputLayer.class);
        ComputationGraph h = new ComputationGraph(back);
        h.init(g.params().dup(), true);
        assertThat(h.getLayer(NetworkFactory.OUTPUT)).isInstanceOf(SoftmaxOutputLayer.Impl.class);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 4);
        assertThat(h.outputSingle(x)).isEqualTo(g.outputSingle(x));
    }
}
