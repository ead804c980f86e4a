package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.ClipSpec;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import io.gradflow.trial.GradientClipping;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DirectStep} against DL4J's own graph traversal on the same network: two networks built alike from one
 * configuration, one training on the direct step and one on DL4J's path ({@link DirectGraph#direct}), the same
 * minibatches, with gradflow's clipping listener and a recording listener attached, and the probe armed on some
 * steps. Every step must give the same score, parameters and updater state bit for bit, the same probe records,
 * and the listeners must be called alike; for every activation, with and without batch norm and residual skips, in
 * float and double, for SGD, momentum and Adam, with global-norm and per-layer clipping, and for a minibatch size
 * that changes between steps; and {@link DirectGraph#inference} gives DL4J's inference output bit for bit.
 */
class DirectStepTest {

    private static final int FEATURES = 4;
    private static final int CLASSES = 3;
    private static final int STEPS = 7;

    static Stream<Arguments> cases() {
        List<Arguments> b = new ArrayList<>();
        for (Activation a : Activation.values()) {
            for (boolean bn : new boolean[]{false, true}) {
                for (Residual r : new Residual[]{Residual.NONE, Residual.UNIT}) {
                    b.add(Arguments.of(config(a, bn, r, Optimizer.SGD, Precision.FLOAT, ClipSpec.NONE)));
                }
            }
        }
        for (Optimizer o : Optimizer.values()) {
            for (Precision p : Precision.values()) {
                b.add(Arguments.of(config(Activation.TANH, true, Residual.UNIT, o, p, ClipSpec.NONE)));
                b.add(Arguments.of(config(Activation.RELU, false, Residual.NONE, o, p, ClipSpec.NONE)));
                b.add(Arguments.of(config(Activation.GELU, false, Residual.UNIT, o, p, ClipSpec.NONE)));
            }
        }
        b.add(Arguments.of(config(Activation.RELU, false, Residual.UNIT, Optimizer.SGD, Precision.FLOAT,
                ClipSpec.parse("norm(0.05)"))));
        b.add(Arguments.of(config(Activation.SIGMOID, true, Residual.NONE, Optimizer.ADAM, Precision.FLOAT,
                ClipSpec.parse("layer_norm(0.05)"))));
        b.add(Arguments.of(config(Activation.ELU, false, Residual.NONE, Optimizer.MOMENTUM, Precision.DOUBLE,
                ClipSpec.parse("value(0.01)"))));
        return b.stream();
    }

    private static TrialConfig config(Activation a, boolean bn, Residual r, Optimizer o, Precision p, ClipSpec clip) {
        return new TrialConfig(a, InitSpec.of(InitSpec.Kind.HE), bn, r, 4, 8, STEPS, 16, o, 0.1, p, 11,
                Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults(), clip);
    }

    /** Steps 0, 2 and 5 are armed, as sampled steps are; step 4 has 12 rows instead of 16. */
    private static boolean armed(int step) {
        return step == 0 || step == 2 || step == 5;
    }

    private static DataSet batch(DataType dt, long seed, int rows) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, rows, FEATURES);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, rows, CLASSES);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x.putScalar(i, j, 2 * r.nextGaussian() + (j == i % CLASSES ? 1.5 : 0));
            }
            y.putScalar(i, i % CLASSES, 1.0);
        }
        return new DataSet(x.castTo(dt), y.castTo(dt));
    }

    /** Records what DL4J's listener calls a step makes, in order. */
    static final class Calls extends BaseTrainingListener {
        final List<String> calls = new ArrayList<>();

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            calls.add("forward " + activations.keySet().stream().sorted().toList());
        }

        @Override
        public void onBackwardPass(Model model) {
            calls.add("backward");
        }

        @Override
        public void onGradientCalculation(Model model) {
            calls.add("gradient");
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            calls.add("done " + iteration + " " + epoch);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theDirectStepGivesDl4jsPathsBits(TrialConfig c) {
        Network direct = NetworkFactory.build(c, FEATURES, CLASSES);
        Network dl4j = NetworkFactory.build(c, FEATURES, CLASSES);
        ((DirectGraph) dl4j.graph()).direct(false);
        Calls directCalls = new Calls();
        Calls dl4jCalls = new Calls();
        direct.graph().setListeners(new GradientClipping(c.clip()), directCalls);
        dl4j.graph().setListeners(new GradientClipping(c.clip()), dl4jCalls);
        assertThat(bits(direct.graph().params())).isEqualTo(bits(dl4j.graph().params()));
        DataType dt = direct.graph().params().dataType();
        for (int step = 0; step < STEPS; step++) {
            DataSet mb = batch(dt, 100 + step, step == 4 ? 12 : 16);
            direct.probe().arm(armed(step));
            dl4j.probe().arm(armed(step));
            direct.graph().fit(mb);
            dl4j.graph().fit(mb);
            direct.probe().arm(false);
            dl4j.probe().arm(false);
            String at = c + ", step " + step;
            // the first step of a network runs on DL4J's path (it keeps DL4J's Gradient); every later one is direct
            assertThat(((DirectGraph) direct.graph()).tookDirectStep()).as(at).isEqualTo(step > 0);
            assertThat(((DirectGraph) dl4j.graph()).tookDirectStep()).as(at).isFalse();
            assertThat(Double.doubleToRawLongBits(direct.graph().score())).as("score, " + at)
                    .isEqualTo(Double.doubleToRawLongBits(dl4j.graph().score()));
            assertThat(bits(direct.graph().params())).as("parameters, " + at).isEqualTo(bits(dl4j.graph().params()));
            INDArray su = direct.graph().getUpdater().getStateViewArray();
            if (su != null) {
                assertThat(bits(su)).as("updater state, " + at).isEqualTo(bits(dl4j.graph().getUpdater().getStateViewArray()));
            }
            if (armed(step)) {
                for (int l = 1; l <= c.depth(); l++) {
                    assertThat(Double.doubleToLongBits(direct.probe().deltaPre(l))).as("δ pre, block " + l + ", " + at).isEqualTo(Double.doubleToLongBits(dl4j.probe().deltaPre(l)));
                    assertThat(Double.doubleToLongBits(direct.probe().actMean(l))).as("activation mean, " + at).isEqualTo(Double.doubleToLongBits(dl4j.probe().actMean(l)));
                    assertThat(Double.doubleToLongBits(direct.probe().actStd(l))).as("activation std, " + at).isEqualTo(Double.doubleToLongBits(dl4j.probe().actStd(l)));
                    assertThat(Double.doubleToLongBits(direct.probe().actDead(l))).as("dead share, " + at).isEqualTo(Double.doubleToLongBits(dl4j.probe().actDead(l)));
                    if (c.residual().hasSkip()) {
                        assertThat(Double.doubleToLongBits(direct.probe().deltaOut(l))).as("δ out, " + at).isEqualTo(Double.doubleToLongBits(dl4j.probe().deltaOut(l)));
                    }
                }
            }
        }
        assertThat(directCalls.calls).isEqualTo(dl4jCalls.calls);
        assertThat(directCalls.calls).contains("backward", "gradient", "done " + (STEPS - 1) + " 0");
        // inference afterwards: DL4J's path on both networks, and the direct inference, give the same bits
        INDArray test = batch(dt, 999, 9).getFeatures();
        long[] expected = bits(dl4j.graph().outputSingle(false, test));
        assertThat(bits(direct.graph().outputSingle(false, test))).isEqualTo(expected);
        assertThat(bits(((DirectGraph) direct.graph()).inference(test))).isEqualTo(expected);
        assertThat(bits(((DirectGraph) dl4j.graph()).inference(test))).isEqualTo(expected);
    }

    @Test
    void networksTheDirectStepDoesNotKnowTrainOnDl4jsPath() {
        for (Residual r : new Residual[]{Residual.SCALED, Residual.REZERO}) {
            TrialConfig c = config(Activation.RELU, false, r, Optimizer.SGD, Precision.FLOAT, ClipSpec.NONE);
            Network net = NetworkFactory.build(c, FEATURES, CLASSES);
            assertThat(DirectStep.of(net.graph())).as(r.toString()).isNull();
            for (int step = 0; step < 3; step++) {
                net.graph().fit(batch(DataType.FLOAT, step, 16));
                assertThat(((DirectGraph) net.graph()).tookDirectStep()).isFalse();
            }
            assertThat(net.graph().score()).isFinite();
        }
        TrialConfig c = config(Activation.RELU, false, Residual.NONE, Optimizer.SGD, Precision.FLOAT, ClipSpec.NONE);
        // the layered reference (DL4J's separate layers and output layer) is not a network the direct step knows
        assertThat(DirectStep.of(NetworkFactory.buildLayered(c, FEATURES, CLASSES).graph())).isNull();
        assertThat(DirectStep.of(NetworkFactory.build(c, FEATURES, CLASSES).graph())).isNotNull();
    }

    @Test
    void aStepWithMaskArraysTakesDl4jsPath() {
        TrialConfig c = config(Activation.RELU, false, Residual.NONE, Optimizer.SGD, Precision.FLOAT, ClipSpec.NONE);
        ComputationGraph g = NetworkFactory.build(c, FEATURES, CLASSES).graph();
        DataSet mb = batch(DataType.FLOAT, 1, 16);
        g.fit(mb);
        g.fit(mb);
        assertThat(((DirectGraph) g).tookDirectStep()).isTrue();
        g.fit(new INDArray[]{mb.getFeatures()}, new INDArray[]{mb.getLabels()}, null,
                new INDArray[]{Nd4j.ones(DataType.FLOAT, 16, 1)});
        assertThat(((DirectGraph) g).tookDirectStep()).isFalse();
    }

    private static long[] bits(INDArray a) {
        double[] v = a.castTo(DataType.DOUBLE).dup().data().asDouble();
        long[] b = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Double.doubleToRawLongBits(v[i]);
        }
        return b;
    }
}
