package io.gradflow.model;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Paired trials share their random draws: the same initial Gaussians and the same minibatches. */
class CommonRandomTest {

    private final Dataset data = Fixtures.blobs(200, 4, 3, 11);

    private static TrialConfig with(Activation a, InitSpec init, Optimizer opt, double lr, long seed) {
        TrialConfig b = Fixtures.trial(a, init, false, false, 3, 6);
        return new TrialConfig(a, init, false, false, 3, b.width(), 6, b.batchSize(), opt, lr, Precision.DOUBLE, seed,
                b.dataset(), b.schedule(), b.targetLoss(), b.health());
    }

    private static double[] weights(TrialConfig c, String layer) {
        Network n = NetworkFactory.build(c, 4, 3);
        return n.graph().getParam(layer + "_W").dup('c').data().asDouble();
    }

    @Test
    void standardNormalsAreStandardNormalAndReproducible() {
        double[] z = CommonRandom.standardNormals(CommonRandom.stream(1, "test", 7), new double[200_001]);
        double m = 0, v = 0;
        for (double x : z) {
            m += x;
        }
        m /= z.length;
        for (double x : z) {
            v += (x - m) * (x - m);
        }
        v /= z.length - 1;
        // 6 standard errors: fails only if the draws are wrong
        assertThat(m).isCloseTo(0, within(6 / Math.sqrt(z.length)));
        assertThat(v).isCloseTo(1, within(6 * Math.sqrt(2.0 / z.length)));
        assertThat(CommonRandom.standardNormals(CommonRandom.stream(1, "test", 7), new double[5]))
                .containsExactly(java.util.Arrays.copyOf(z, 5));
        assertThat(CommonRandom.stream(1, "test", 7)).isNotEqualTo(CommonRandom.stream(2, "test", 7))
                .isNotEqualTo(CommonRandom.stream(1, "test", 8)).isNotEqualTo(CommonRandom.stream(1, "tesT", 7));
    }

    @Test
    void trialsThatDifferInAShapePreservingSettingStartFromTheSameDraws() {
        InitSpec xavier = InitSpec.of(InitSpec.Kind.XAVIER);
        InitSpec he = InitSpec.of(InitSpec.Kind.HE);
        TrialConfig a = with(Activation.TANH, xavier, Optimizer.SGD, 0.05, 1);
        TrialConfig b = with(Activation.RELU, xavier, Optimizer.ADAM, 0.01, 1);
        TrialConfig h = with(Activation.TANH, he, Optimizer.SGD, 0.05, 1);
        TrialConfig other = with(Activation.TANH, xavier, Optimizer.SGD, 0.05, 2);
        for (String layer : new String[]{NetworkFactory.PROJECTION, NetworkFactory.denseName(2), NetworkFactory.OUTPUT}) {
            double[] wa = weights(a, layer);
            assertThat(weights(b, layer)).as(layer).containsExactly(wa);
            assertThat(weights(other, layer)).as(layer).isNotEqualTo(wa);
            // He's standard deviation over Xavier's on a layer of fan-in i and fan-out o is √((i + o)/i)
            double[] wh = weights(h, layer);
            long fanIn = a.width(), fanOut = a.width();
            if (layer.equals(NetworkFactory.PROJECTION)) {
                fanIn = 4;
            } else if (layer.equals(NetworkFactory.OUTPUT)) {
                fanOut = 3;
            }
            double ratio = Math.sqrt((double) (fanIn + fanOut) / fanIn);
            for (int i = 0; i < wa.length; i++) {
                assertThat(wh[i]).isCloseTo(wa[i] * ratio, within(1e-15 * Math.abs(wh[i]) + 1e-300));
            }
        }
        // deeper networks share the blocks they have in common
        TrialConfig deep = new TrialConfig(a.activation(), a.init(), false, false, 5, a.width(), a.steps(), a.batchSize(),
                a.optimizer(), a.learningRate(), a.dtype(), a.seed(), a.dataset(), a.schedule(), a.targetLoss(), a.health());
        assertThat(weights(deep, NetworkFactory.denseName(3))).containsExactly(weights(a, NetworkFactory.denseName(3)));
    }

    @Test
    void anOptimizerHasExactlyNoEffectAtInitialization() {
        InitSpec he = InitSpec.of(InitSpec.Kind.HE);
        TrialResult sgd = TrialRunner.run(with(Activation.RELU, he, Optimizer.SGD, 0.05, 3), data, RunOptions.standalone());
        TrialResult adam = TrialRunner.run(with(Activation.RELU, he, Optimizer.ADAM, 0.001, 3), data, RunOptions.standalone());
        assertThat(adam.summary().flowDeltaInit()).isEqualTo(sgd.summary().flowDeltaInit());
        assertThat(adam.summary().flowGradInit()).isEqualTo(sgd.summary().flowGradInit());
        assertThat(adam.layerStats().stream().filter(l -> l.step() == 0).map(l -> l.deltaPre()).toList())
                .isEqualTo(sgd.layerStats().stream().filter(l -> l.step() == 0).map(l -> l.deltaPre()).toList());
        // the same first minibatch: the same step-0 loss
        assertThat(adam.curve().get(0).trainLoss()).isEqualTo(sgd.curve().get(0).trainLoss());
        // and the training does differ afterwards
        assertThat(adam.curve().get(5).trainLoss()).isNotEqualTo(sgd.curve().get(5).trainLoss());
    }
}
