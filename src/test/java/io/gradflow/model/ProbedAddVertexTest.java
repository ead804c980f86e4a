package io.gradflow.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProbedAddVertex}'s direct sum and backward copies give exactly what DL4J's {@code ElementWiseVertex(Add)}
 * gives: the same outputs, gradients and parameters after several steps, bit for bit, in float and double, in a
 * graph where the sum's first input also feeds another layer (so DL4J adds the two epsilons arriving there).
 */
class ProbedAddVertexTest {

    private static ComputationGraph graph(boolean ours, DataType dt) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().seed(5).dataType(dt)
                .updater(new Sgd(0.1)).graphBuilder().addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nIn(4).nOut(6).activation(new ActivationTanH()).build(), "in")
                .addLayer("b", new DenseLayer.Builder().nIn(6).nOut(6).activation(new ActivationTanH()).build(), "a")
                .addVertex("add", ours ? new ProbedAddVertex() : new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", "b")
                .addLayer("c", new DenseLayer.Builder().nIn(6).nOut(6).activation(new ActivationTanH()).build(), "add")
                .addVertex("add2", ours ? new ProbedAddVertex() : new ElementWiseVertex(ElementWiseVertex.Op.Add), "add", "c")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(new ActivationSoftmax()).build(), "add2")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    private static DataSet data(long seed, DataType dt) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 10, 4);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 10, 3);
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 4; j++) {
                x.putScalar(i, j, r.nextGaussian());
            }
            y.putScalar(i, r.nextInt(3), 1.0);
        }
        return new DataSet(x.castTo(dt), y.castTo(dt));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void sumsAndBackpropagatesBitForBitAsDl4jsVertex(DataType dt) {
        ComputationGraph ref = graph(false, dt);
        ComputationGraph ours = graph(true, dt);
        assertThat(ours.getVertex("add")).isInstanceOf(ProbedAddVertex.Impl.class);
        ours.setParams(ref.params().dup());
        DataSet d0 = data(1, dt);
        assertThat(ours.outputSingle(d0.getFeatures())).isEqualTo(ref.outputSingle(d0.getFeatures()));
        for (ComputationGraph g : new ComputationGraph[]{ref, ours}) {
            g.setInput(0, d0.getFeatures());
            g.setLabels(d0.getLabels());
            g.computeGradientAndScore();
        }
        assertThat(ours.gradient().gradient()).isEqualTo(ref.gradient().gradient());
        for (int step = 0; step < 5; step++) {
            DataSet d = data(10 + step, dt);
            ref.fit(d);
            ours.fit(d);
            assertThat(ours.score()).isEqualTo(ref.score());
        }
        assertThat(ours.params()).isEqualTo(ref.params());
    }
}
