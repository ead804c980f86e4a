package io.gradflow.theory;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import io.gradflow.trial.TrialSummary;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Measured flow at initialization against the mean-field prediction: width-256 networks on standardized Gaussian
 * inputs, run through {@link TrialRunner} exactly as in a sweep (float precision, one step), averaged over seeds.
 * The measured flow of one network fluctuates around the prediction by finite-width effects (the per-block factor
 * of a 256-wide layer is a random variable with relative spread of order 1/√256 per block); the mean over seeds is
 * compared with a tolerance stated per case, and the same trial rows must carry the prediction itself.
 */
class MeanFieldAgreementTest {

    static final int WIDTH = 256;
    static final int FEATURES = 64;
    static final int BATCH = 64;

    static Stream<Arguments> cases() {
        return Stream.of(
                // activation, init, depth, expected prediction (±0.01), tolerance of the seed mean, seeds
                Arguments.of(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), 20, 0.0, 0.2, 6),
                Arguments.of(Activation.RELU, InitSpec.of(InitSpec.Kind.XAVIER), 50, -7.375, 0.3, 4),
                Arguments.of(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), 10, -5.654, 0.15, 6),
                Arguments.of(Activation.IDENTITY, InitSpec.normal(Math.sqrt(0.5 / WIDTH)), 10, 4.5 * Math.log10(0.5), 0.1, 6),
                Arguments.of(Activation.IDENTITY, InitSpec.of(InitSpec.Kind.LECUN), 10, 0.0, 0.1, 6),
                Arguments.of(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), 20, -0.558, 0.15, 6));
    }

    @ParameterizedTest(name = "{0} {1} depth {2}")
    @MethodSource("cases")
    void measuredFlowMatchesTheory(Activation act, InitSpec init, int depth, double expected, double tol, int seeds) {
        Prediction p = MeanField.predict(act, init, depth, WIDTH, FEATURES, 1.0);
        if (!Double.isNaN(expected)) {
            assertThat(p.flowLog10()).isCloseTo(expected, within(0.01));
        }
        double sum = 0;
        StringBuilder each = new StringBuilder();
        for (int s = 1; s <= seeds; s++) {
            TrialConfig c = new TrialConfig(act, init, false, false, depth, WIDTH, 1, BATCH, Optimizer.SGD, 0.01,
                    Precision.FLOAT, s, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults());
            TrialResult r = TrialRunner.run(c, standardGaussian(BATCH, FEATURES, 1000 + s), RunOptions.standalone());
            TrialSummary t = r.summary();
            assertThat(t.theoryFlowDeltaInit()).isCloseTo(p.flowLog10(), within(1e-12));
            assertThat(t.theoryChi()).isCloseTo(p.chiPerBlock(), within(1e-12));
            sum += t.flowDeltaInit();
            each.append(String.format(Locale.ROOT, " %.3f", t.flowDeltaInit()));
        }
        double mean = sum / seeds;
        System.out.printf(Locale.ROOT, "[agreement] %s %s depth %d: theory %.3f, measured mean %.3f over %d seeds:%s%n",
                act.key(), init.key(), depth, p.flowLog10(), mean, seeds, each);
        assertThat(mean).as("mean measured flow_log10 over %d seeds (each:%s)", seeds, each)
                .isCloseTo(p.flowLog10(), within(tol));
    }

    /** Gaussian features standardized to mean 0 and second moment exactly 1 per feature, as the data layer does. */
    static Dataset standardGaussian(int n, int features, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n * features];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        float[] f = new float[x.length];
        for (int j = 0; j < features; j++) {
            double m = 0;
            for (int i = 0; i < n; i++) {
                m += x[i * features + j];
            }
            m /= n;
            double v = 0;
            for (int i = 0; i < n; i++) {
                v += (x[i * features + j] - m) * (x[i * features + j] - m);
            }
            double sd = Math.sqrt(v / n);
            for (int i = 0; i < n; i++) {
                f[i * features + j] = (float) ((x[i * features + j] - m) / sd);
            }
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(4);
        }
        return new Dataset("gaussian", features, 4, f, y, f.clone(), y.clone());
    }
}
