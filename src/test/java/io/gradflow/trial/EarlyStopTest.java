package io.gradflow.trial;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.ClipSpec;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.StopEarly;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.gradflow.trial.EarlyStop.EXPLODING;
import static io.gradflow.trial.EarlyStop.VANISHING;
import static io.gradflow.trial.EarlyStop.WITHIN;
import static org.assertj.core.api.Assertions.assertThat;

/** The early-stopping rule on hand-made samples, and in TrialRunner on real DL4J trainings. */
class EarlyStopTest {

    private static final HealthThresholds H = new HealthThresholds(-2, 2, new StopEarly(8, 3, 0.01));

    private static List<EarlyStop.Sample> samples(int[] steps, int[] sides, double[] losses) {
        List<EarlyStop.Sample> out = new ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            out.add(new EarlyStop.Sample(steps[i], sides[i], losses[i]));
        }
        return out;
    }

    @Test
    void sidesFollowTheThresholdsUnderflowAndNonFiniteGradients() {
        assertThat(EarlyStop.side(-2.5, false, 0, H)).isEqualTo(VANISHING);
        assertThat(EarlyStop.side(-1.9, false, 0, H)).isEqualTo(WITHIN);
        assertThat(EarlyStop.side(2.1, false, 0, H)).isEqualTo(EXPLODING);
        assertThat(EarlyStop.side(Double.NaN, true, 0, H)).isEqualTo(VANISHING);
        assertThat(EarlyStop.side(Double.NaN, false, 0, H)).isEqualTo(WITHIN);
        assertThat(EarlyStop.side(0.0, false, 3, H)).isEqualTo(EXPLODING);
    }

    @Test
    void stopsOnlyAfterKConsecutiveSampledStepsBeyondOneThresholdFromStepSWithoutImprovement() {
        int[] steps = {0, 1, 2, 4, 8, 16, 32};
        int[] v = {VANISHING, VANISHING, VANISHING, VANISHING, VANISHING, VANISHING, VANISHING};
        double[] flat = {1.10, 1.10, 1.10, 1.10, 1.10, 1.10, 1.095};
        // up to step 16 only two sampled steps are at or after 8
        assertThat(EarlyStop.decide(samples(java.util.Arrays.copyOf(steps, 6), v, flat), H)).isEmpty();
        assertThat(EarlyStop.decide(samples(steps, v, flat), H)).contains(Verdict.VANISHING);
        // 1.095 < 0.99 × 1.10 is false; 1.08 < 1.089 is an improvement of more than 1%: trains on
        double[] better = flat.clone();
        better[6] = 1.08;
        assertThat(EarlyStop.decide(samples(steps, v, better), H)).isEmpty();
        // one sampled step within the thresholds breaks the run
        int[] broken = v.clone();
        broken[5] = WITHIN;
        assertThat(EarlyStop.decide(samples(steps, broken, flat), H)).isEmpty();
        // mixed sides do not count as one run
        int[] mixed = v.clone();
        mixed[5] = EXPLODING;
        assertThat(EarlyStop.decide(samples(steps, mixed, flat), H)).isEmpty();
        int[] e = {WITHIN, WITHIN, WITHIN, WITHIN, EXPLODING, EXPLODING, EXPLODING};
        assertThat(EarlyStop.decide(samples(steps, e, new double[]{9, 9, 9, 9, 40, 50, 60}), H)).contains(Verdict.EXPLODING);
        // off: never
        assertThat(EarlyStop.decide(samples(steps, v, flat), HealthThresholds.defaults())).isEmpty();
        // min_improvement 0: any decrease is an improvement
        HealthThresholds strict = new HealthThresholds(-2, 2, new StopEarly(8, 3, 0.0));
        assertThat(EarlyStop.decide(samples(steps, v, flat), strict)).isEmpty();
        double[] same = {1, 1, 1, 1, 1, 1, 1};
        assertThat(EarlyStop.decide(samples(steps, v, same), strict)).contains(Verdict.VANISHING);
    }

    @Test
    void trailingMeanCoversTheLastTenStepsOrFewerAtTheStart() {
        double[] l = {4, 2, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        assertThat(EarlyStop.trailingMean(l, 0, 10)).isEqualTo(4.0);
        assertThat(EarlyStop.trailingMean(l, 2, 10)).isEqualTo(2.0);
        assertThat(EarlyStop.trailingMean(l, 11, 10)).isEqualTo(0.9);
    }

    // ------------------------------------------------------------------------------------- real DL4J trainings

    private final Dataset data = Fixtures.blobs(200, 4, 3, 11);

    private static TrialConfig trial(Activation act, InitSpec init, int depth, double lr, HealthThresholds h) {
        return new TrialConfig(act, init, false, Residual.NONE, depth, 16, 200, 32, Optimizer.SGD, lr, Precision.FLOAT,
                1, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, h, ClipSpec.NONE);
    }

    @Test
    void aVanishingSigmoidNetStopsAndKeepsWhatItReachedAsThePrefixOfTheFullRun() {
        HealthThresholds stop = new HealthThresholds(-2, 2, new StopEarly(8, 3, 0.01));
        TrialConfig full = trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), 10, 0.001, HealthThresholds.defaults());
        TrialConfig early = trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), 10, 0.001, stop);
        TrialResult f = TrialRunner.run(full, data, RunOptions.standalone());
        TrialResult e = TrialRunner.run(early, data, RunOptions.standalone());
        assertThat(f.summary().verdict()).isEqualTo(Verdict.VANISHING);
        assertThat(f.summary().stoppedAtStep()).isNull();
        assertThat(f.summary().stepsCompleted()).isEqualTo(200);
        // sampled steps 8, 16, 32 are the first three at or after 8; the loss at lr 0.001 does not move by 1%
        assertThat(e.summary().errorStack()).isNull();
        assertThat(e.summary().stoppedAtStep()).isEqualTo(32);
        assertThat(e.summary().verdict()).isEqualTo(Verdict.VANISHING);
        assertThat(e.summary().stepsCompleted()).isEqualTo(33);
        // the stopped run is the full run cut short: same statistics up to the stop, outcomes measured there
        int perStep = 10;
        assertThat(e.layerStats()).hasSize(7 * perStep); // steps 0, 1, 2, 4, 8, 16, 32
        for (int i = 0; i < e.layerStats().size(); i++) {
            LayerStat a = e.layerStats().get(i);
            LayerStat b = f.layerStats().get(i);
            assertThat(new double[]{a.step(), a.block(), a.deltaPre(), a.gradNorm(), a.updateRatio(), a.actMean()})
                    .containsExactly(b.step(), b.block(), b.deltaPre(), b.gradNorm(), b.updateRatio(), b.actMean());
        }
        assertThat(e.summary().flowDeltaInit()).isEqualTo(f.summary().flowDeltaInit());
        assertThat(e.curve().get(e.curve().size() - 1).step()).isEqualTo(32);
        assertThat(e.summary().finalTrainLoss()).isFinite().isNotEqualTo(f.summary().finalTrainLoss());
        assertThat(e.summary().testAccuracy()).isBetween(0.0, 1.0);
        // (that it stopped is the step count above; comparing the two wall times failed on a loaded machine)
    }

    @Test
    void aHealthyNetAndALearningOneRunToTheEnd() {
        HealthThresholds stop = new HealthThresholds(-2, 2, new StopEarly(0, 2, 0.01));
        TrialResult healthy = TrialRunner.run(trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), 4, 0.05, stop), data,
                RunOptions.standalone());
        assertThat(healthy.summary().stoppedAtStep()).isNull();
        assertThat(healthy.summary().stepsCompleted()).isEqualTo(200);
        // a vanishing net whose loss keeps falling (lr 0.5 trains the last layers) is not stopped on its flow alone
        HealthThresholds strict = new HealthThresholds(-0.5, 2, new StopEarly(0, 2, 0.0));
        TrialResult learning = TrialRunner.run(trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), 3, 0.5, strict), data,
                RunOptions.standalone());
        Optional<Integer> at = Optional.ofNullable(learning.summary().stoppedAtStep());
        assertThat(at).as("a learning net must not stop early while its loss improves").isEmpty();
    }
}
