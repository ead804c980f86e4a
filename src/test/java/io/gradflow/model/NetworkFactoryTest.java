package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class NetworkFactoryTest {

    @Test
    void plainNetworkHasProjectionFusedBlocksAndOutput() {
        TrialConfig c = Fixtures.trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 3, 1);
        ComputationGraph g = NetworkFactory.build(c, 5, 4).graph();
        // proj + 3 fused blocks + output
        assertThat(g.getLayers()).hasSize(1 + 3 + 1);
        assertThat(g.getVertices()).hasSize(1 + 1 + 3 + 1); // + input vertex
        for (int l = 1; l <= 3; l++) {
            assertThat(g.getParam(Network.weightParam(l)).shape()).containsExactly(16, 16);
            assertThat(g.getParam(NetworkFactory.denseName(l) + "_b").length()).isEqualTo(16);
            assertThat(g.getLayer(NetworkFactory.denseName(l))).isInstanceOf(FusedBlock.Impl.class);
            assertThat(((FusedBlock) g.getLayer(NetworkFactory.denseName(l)).conf().getLayer()).getActivationFn())
                    .isInstanceOf(ActivationSigmoid.class);
        }
        INDArray out = g.outputSingle(Nd4j.rand(DataType.FLOAT, 7, 5));
        assertThat(out.shape()).containsExactly(7, 4);
        assertThat(out.sumNumber().doubleValue()).isCloseTo(7.0, within(1e-4));
    }

    @Test
    void layeredNetworkHasProjectionBlocksAndOutput() {
        TrialConfig c = Fixtures.trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 3, 1);
        Network n = NetworkFactory.buildLayered(c, 5, 4);
        ComputationGraph g = n.graph();
        // proj + 3 × (dense, act) + output
        assertThat(g.getLayers()).hasSize(1 + 3 * 2 + 1);
        assertThat(g.getVertices()).hasSize(1 + 1 + 3 * 2 + 1); // + input vertex
        assertThat(g.getParam("proj_W").shape()).containsExactly(5, 16);
        for (int l = 1; l <= 3; l++) {
            assertThat(g.getParam(Network.weightParam(l)).shape()).containsExactly(16, 16);
            assertThat(g.getParam(NetworkFactory.denseName(l) + "_b").length()).isEqualTo(16);
            assertThat(g.getLayer(NetworkFactory.actName(l))).isInstanceOf(ProbedActivationLayer.Impl.class);
            assertThat(((ProbedActivationLayer) g.getLayer(NetworkFactory.actName(l)).conf().getLayer())
                    .getActivationFn()).isInstanceOf(ActivationSigmoid.class);
        }
        assertThat(g.getLayer(NetworkFactory.OUTPUT).conf().getLayer()).isInstanceOf(OutputLayer.class);
        assertThat(g.getParam("output_W").shape()).containsExactly(16, 4);
        assertThat(g.getVertex(NetworkFactory.addName(1))).isNull();
        INDArray out = g.outputSingle(Nd4j.rand(DataType.FLOAT, 7, 5));
        assertThat(out.shape()).containsExactly(7, 4);
        assertThat(out.sumNumber().doubleValue()).isCloseTo(7.0, within(1e-4)); // softmax rows sum to 1
    }

    @Test
    void batchNormBlocksNormalizeAndDropTheDenseBias() {
        TrialConfig c = Fixtures.trial(Activation.GELU, InitSpec.of(InitSpec.Kind.HE), true, false, 2, 1);
        ComputationGraph layered = NetworkFactory.buildLayered(c, 3, 2).graph();
        assertThat(layered.getLayers()).hasSize(1 + 2 * 3 + 1);
        for (int l = 1; l <= 2; l++) {
            assertThat(layered.getLayer(NetworkFactory.bnName(l)).conf().getLayer()).isInstanceOf(BatchNormalization.class);
            assertThat(((DenseLayer) layered.getLayer(NetworkFactory.denseName(l)).conf().getLayer()).hasBias()).isFalse();
            assertThat(layered.getLayer(NetworkFactory.denseName(l)).paramTable()).containsOnlyKeys("W");
        }
        assertThat(((ProbedActivationLayer) layered.getLayer(NetworkFactory.actName(1)).conf().getLayer()).getActivationFn())
                .isInstanceOf(ActivationGELU.class);
        // The fused block holds the dense layer's W and the batch-norm layer's parameters, in the same order.
        ComputationGraph g = NetworkFactory.build(c, 3, 2).graph();
        assertThat(g.getLayers()).hasSize(1 + 2 + 1);
        for (int l = 1; l <= 2; l++) {
            FusedBlock b = (FusedBlock) g.getLayer(NetworkFactory.denseName(l)).conf().getLayer();
            assertThat(b.isBatchNorm()).isTrue();
            assertThat(b.hasBias()).isFalse();
            assertThat(g.getLayer(NetworkFactory.denseName(l)).paramTable().keySet())
                    .containsExactly("W", "gamma", "beta", "mean", "log10stdev");
        }
        assertThat(g.params()).isEqualTo(layered.params());
    }

    @Test
    void residualBlocksAddTheirInput() {
        TrialConfig c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, true, 4, 1);
        ComputationGraph g = NetworkFactory.build(c, 3, 2).graph();
        for (int l = 1; l <= 4; l++) {
            assertThat(g.getVertex(NetworkFactory.addName(l))).isInstanceOf(ProbedAddVertex.Impl.class);
        }
        // block 2's add takes block 1's output (the residual stream) and block 2's activation
        var inputs = g.getConfiguration().getVertexInputs().get(NetworkFactory.addName(2));
        assertThat(inputs).containsExactly(NetworkFactory.addName(1), NetworkFactory.denseName(2));
        assertThat(g.getConfiguration().getVertexInputs().get(NetworkFactory.addName(1)))
                .containsExactly(NetworkFactory.PROJECTION, NetworkFactory.denseName(1));
    }

    @Test
    void scaledBlocksScaleTheirBranchByOneOverRootDepth() {
        TrialConfig c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, true, 4, 1)
                .withResidual(Residual.SCALED);
        ComputationGraph g = NetworkFactory.build(c, 3, 2).graph();
        for (int l = 1; l <= 4; l++) {
            assertThat(g.getVertex(NetworkFactory.addName(l))).isInstanceOf(ProbedAddVertex.Impl.class);
            ScaleVertex s = (ScaleVertex) g.getConfiguration().getVertices().get(NetworkFactory.scaleName(l));
            assertThat(s.getScaleFactor()).isEqualTo(0.5);
            // the fused block (named like its dense layer) is the branch the scale vertex takes
            assertThat(g.getConfiguration().getVertexInputs().get(NetworkFactory.scaleName(l)))
                    .containsExactly(NetworkFactory.denseName(l));
        }
        assertThat(g.getConfiguration().getVertexInputs().get(NetworkFactory.addName(2)))
                .containsExactly(NetworkFactory.addName(1), NetworkFactory.scaleName(2));
        assertThat(g.numParams()).isEqualTo(NetworkFactory.build(c.withResidual(Residual.UNIT), 3, 2).graph().numParams());
    }

    @Test
    void rezeroBlocksHaveOneGateEachStartingAtZeroSoTheNetIsTheIdentityStack() {
        TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), true, true, 3, 1)
                .withResidual(Residual.REZERO);
        ComputationGraph g = NetworkFactory.build(c, 3, 2).graph();
        for (int l = 1; l <= 3; l++) {
            assertThat(g.getLayer(NetworkFactory.scaleName(l))).isInstanceOf(RezeroLayer.Impl.class);
            INDArray alpha = g.getParam(NetworkFactory.scaleName(l) + "_" + RezeroLayer.ALPHA);
            assertThat(alpha.length()).isEqualTo(1);
            assertThat(alpha.getDouble(0)).isEqualTo(0.0);
        }
        assertThat(g.numParams()).isEqualTo(NetworkFactory.build(c.withResidual(Residual.UNIT), 3, 2).graph().numParams() + 3);
        // α = 0: every block output equals the projection's output
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
        var acts = g.feedForward(x, false);
        assertThat(acts.get(NetworkFactory.addName(3))).isEqualTo(acts.get(NetworkFactory.PROJECTION));
    }

    @Test
    void rezeroLayerSurvivesDl4jsConfigurationJsonRoundTrip() {
        ComputationGraphConfiguration conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(1)
                .graphBuilder().addInputs("in")
                .addLayer("d", LinearLayer.of(3, 4, true), "in")
                .addLayer("z", RezeroLayer.of(4), "d")
                .addLayer("out", new OutputLayer.Builder().nIn(4).nOut(2)
                        .activation(new org.nd4j.linalg.activations.impl.ActivationSoftmax()).build(), "z")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        g.getParam("z_" + RezeroLayer.ALPHA).assign(0.7);
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertThat(back).isEqualTo(conf);
        ComputationGraph h = new ComputationGraph(back);
        h.init(g.params(), true);
        assertThat(h.getLayer("z")).isInstanceOf(RezeroLayer.Impl.class);
        assertThat(((RezeroLayer.Impl) h.getLayer("z")).alpha()).isCloseTo(0.7, within(1e-7));
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
        assertThat(h.outputSingle(x)).isEqualTo(g.outputSingle(x));
    }

    @Test
    void initializationsHaveTheirDocumentedScale() {
        int w = 256;
        assertThat(weightStd(InitSpec.of(InitSpec.Kind.HE), w)).isCloseTo(Math.sqrt(2.0 / w), within(0.002));
        assertThat(weightStd(InitSpec.of(InitSpec.Kind.XAVIER), w)).isCloseTo(Math.sqrt(1.0 / w), within(0.002));
        assertThat(weightStd(InitSpec.of(InitSpec.Kind.LECUN), w)).isCloseTo(Math.sqrt(1.0 / w), within(0.002));
        assertThat(weightStd(InitSpec.normal(0.5), w)).isCloseTo(0.5, within(0.01));
    }

    @Test
    void theSameConfigurationGivesTheSameInitialWeights() {
        TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, true, 3, 1);
        assertThat(NetworkFactory.build(c, 4, 3).graph().params())
                .isEqualTo(NetworkFactory.build(c, 4, 3).graph().params());
    }

    /**
     * Building a network initializes it without DL4J's random draws (they are all replaced by common random numbers)
     * and writes those straight into the weight views: the parameters are bit for bit those of DL4J's own
     * {@code init()} followed by the same numbers assigned through ND4J (a cast and an assign), for every
     * block kind, both graph forms and both precisions, and the configuration and every layer name the trial's rule
     * again afterwards (what a saved model records).
     */
    @Test
    void initializingWithoutDl4jsDrawsGivesTheSameParametersAndKeepsTheRule() {
        for (boolean dbl : new boolean[]{false, true}) {
            for (boolean bn : new boolean[]{false, true}) {
                for (Residual r : Residual.values()) {
                    for (boolean fused : new boolean[]{true, false}) {
                        TrialConfig base = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.HE), bn, false, 3, 1)
                                .withResidual(r);
                        TrialConfig c = new TrialConfig(base.activation(), base.init(), bn, base.residual(), base.depth(),
                                base.width(), base.steps(), base.batchSize(), base.optimizer(), base.learningRate(),
                                dbl ? Precision.DOUBLE : Precision.FLOAT, base.seed(), base.dataset(), base.schedule(),
                                base.targetLoss(), base.health(), base.clip(), base.parallelism(), base.pretrain());
                        String at = "double " + dbl + " bn " + bn + " " + r + " fused " + fused;
                        Network built = NetworkFactory.build(c, 5, 4, fused);
                        ComputationGraph reference = new DirectGraph(NetworkFactory.configuration(c, 5, 4, fused));
                        reference.init();
                        ndInitialWeights(reference, c, 5, 4);
                        assertThat(built.graph().params().dataType()).as(at).isEqualTo(dbl ? DataType.DOUBLE : DataType.FLOAT);
                        assertThat(built.graph().params()).as(at).isEqualTo(reference.params());
                        assertThat(built.graph().getConfiguration().toJson()).as(at)
                                .isEqualTo(reference.getConfiguration().toJson());
                        for (org.deeplearning4j.nn.api.Layer layer : built.graph().getLayers()) {
                            if (layer.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b) {
                                assertThat(b.getWeightInitFn()).as(at + " " + b.getLayerName())
                                        .isEqualTo(NetworkFactory.weightInit(c.init()));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The common random weights written as ND4J writes them (a row-major double array cast to the network's type
     * and assigned to the weight view): the reference for NetworkFactory's direct writes.
     */
    private static void ndInitialWeights(ComputationGraph g, TrialConfig c, int nIn, int nOut) {
        java.util.List<String> layers = new java.util.ArrayList<>(java.util.List.of(NetworkFactory.PROJECTION));
        for (int l = 1; l <= c.depth(); l++) {
            layers.add(NetworkFactory.denseName(l));
        }
        layers.add(NetworkFactory.OUTPUT);
        for (String layer : layers) {
            int fanIn = layer.equals(NetworkFactory.PROJECTION) ? nIn : c.width();
            int fanOut = layer.equals(NetworkFactory.OUTPUT) ? nOut : c.width();
            double[] z = NetworkFactory.initialValues(c, layer, fanIn, fanOut);
            INDArray param = g.getParam(layer + "_W");
            param.assign(Nd4j.create(z, new long[]{fanIn, fanOut}, 'c').castTo(param.dataType()));
        }
    }

    private static double weightStd(InitSpec init, int width) {
        TrialConfig base = Fixtures.trial(Activation.RELU, init, false, false, 1, 1);
        TrialConfig c = new TrialConfig(base.activation(), init, false, false, 1, width, 1, 8, base.optimizer(),
                base.learningRate(), base.dtype(), 1, base.dataset(), base.schedule(), 0.5, base.health());
        INDArray w = NetworkFactory.build(c, 4, 2).graph().getParam(Network.weightParam(1));
        return w.stdNumber().doubleValue();
    }

    @Test
    void bothGraphFormsSurviveDl4jsJsonRoundTrip() {
        for (boolean bn : new boolean[]{false, true}) {
            for (Residual r : Residual.values()) {
                TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), bn, false, 2, 1)
                        .withResidual(r);
                for (ComputationGraphConfiguration conf : new ComputationGraphConfiguration[]{
                        NetworkFactory.configuration(c, 5, 4), NetworkFactory.layeredConfiguration(c, 5, 4)}) {
                    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
                    assertThat(back.toJson()).as(r + " bn " + bn).isEqualTo(conf.toJson());
                    assertThat(back.getVertices().keySet()).isEqualTo(conf.getVertices().keySet());
                }
            }
        }
    }
}
