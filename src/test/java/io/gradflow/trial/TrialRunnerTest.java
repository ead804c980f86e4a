package io.gradflow.trial;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TrialRunnerTest {

    private final Dataset data = Fixtures.blobs(200, 4, 3, 11);

    @Test
    void plainNetworkRecordsEveryStatisticAtTheSampledSteps() {
        TrialConfig c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 4, 20);
        TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
        TrialSummary s = r.summary();
        assertThat(s.errorStack()).isNull();
        assertThat(s.verdict()).isIn(Verdict.HEALTHY, Verdict.VANISHING, Verdict.EXPLODING);
        assertThat(s.stepsCompleted()).isEqualTo(20);
        // log2 schedule for 20 steps: 0,1,2,4,8,16,19 → 7 sampled steps × 4 blocks
        assertThat(r.layerStats()).hasSize(7 * 4);
        for (LayerStat ls : r.layerStats()) {
            assertThat(ls.deltaPre()).isPositive().isFinite();
            assertThat(ls.deltaOut()).isNaN();
            assertThat(ls.gradNorm()).isPositive().isFinite();
            assertThat(ls.weightNorm()).isPositive();
            assertThat(ls.updateRatio()).isPositive().isLessThan(1.0);
            assertThat(ls.actDead()).isBetween(0.0, 1.0);
            assertThat(ls.actSaturated()).isNaN();
            assertThat(ls.actStd()).isPositive();
        }
        assertThat(s.flowDeltaInit()).isFinite();
        assertThat(s.testAccuracy()).isBetween(0.0, 1.0);
        assertThat(r.curve()).hasSize(20);
        assertThat(r.curve().get(0).testAccuracy()).isBetween(0.0, 1.0);
        assertThat(r.curve().get(3).testAccuracy()).isNaN();
    }

    @Test
    void theStatisticsDoNotChangeTheTraining() {
        // the benchmark's baseline: same trial without probes and listener; the curve keeps its test points
        for (boolean bn : new boolean[]{false, true}) {
            TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), bn, !bn, 3, 20);
            TrialResult on = TrialRunner.run(c, data, RunOptions.standalone());
            TrialResult off = TrialRunner.run(c, data, RunOptions.standalone().withoutStatistics());
            assertThat(off.layerStats()).isEmpty();
            assertThat(on.layerStats()).hasSize(7 * 3);
            assertThat(off.curve()).isEqualTo(on.curve());
            assertThat(off.curve().get(4).testLoss()).isFinite(); // step 4 is sampled
            assertThat(off.summary().finalTrainLoss()).isEqualTo(on.summary().finalTrainLoss());
            assertThat(off.summary().testAccuracy()).isEqualTo(on.summary().testAccuracy());
            assertThat(off.summary().flowDeltaInit()).isNaN();
        }
    }

    @Test
    void residualAndBatchNormNetworksRecordTheResidualStream() {
        TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), true, true, 3, 5);
        TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
        assertThat(r.summary().errorStack()).isNull();
        assertThat(r.layerStats()).allSatisfy(ls -> {
            assertThat(ls.deltaOut()).isPositive().isFinite();
            assertThat(ls.actSaturated()).isBetween(0.0, 1.0);
            assertThat(ls.actDead()).isNaN();
        });
        assertThat(r.summary().flowDeltaOutInit()).isFinite();
    }

    @Test
    void rerunningATrialReproducesItBitForBit() {
        TrialConfig c = Fixtures.trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 5, 12);
        TrialResult a = TrialRunner.run(c, data, RunOptions.standalone());
        TrialResult b = TrialRunner.run(c, data, RunOptions.standalone());
        assertThat(b.layerStats()).isEqualTo(a.layerStats());
        assertThat(b.curve()).isEqualTo(a.curve());
        assertThat(b.summary().finalTrainLoss()).isEqualTo(a.summary().finalTrainLoss());
    }

    @Test
    void anInjectedFailureBecomesAFailedResultInsteadOfAnException() {
        TrialConfig c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 2, 5);
        TrialResult r = TrialRunner.run(c, data, new RunOptions("none", "none", Set.of(c.trialId())));
        assertThat(r.summary().verdict()).isEqualTo(Verdict.FAILED);
        assertThat(r.summary().errorMessage()).contains("failed on purpose");
        assertThat(r.summary().errorStack()).contains("TrialRunner");
        assertThat(r.layerStats()).isEmpty();
    }

    @Test
    void aHugeLearningRateOnExplodingWeightsDiverges() {
        TrialConfig base = Fixtures.trial(Activation.RELU, InitSpec.normal(3.0), false, false, 6, 50);
        TrialConfig c = new TrialConfig(base.activation(), base.init(), false, false, 6, 16, 50, 32,
                base.optimizer(), 10.0, base.dtype(), 1, base.dataset(), base.schedule(), 0.5, base.health());
        TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
        assertThat(r.summary().verdict()).isEqualTo(Verdict.DIVERGED);
        assertThat(r.summary().errorMessage()).contains("training loss became");
        assertThat(r.summary().stepsCompleted()).isLessThanOrEqualTo(50);
    }

    @Test
    void aTrialTooLargeForTheExecutorIsRefusedWithItsEstimate() {
        TrialConfig base = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 2, 5);
        TrialConfig huge = new TrialConfig(base.activation(), base.init(), false, false, 1000, 16384, 5, 1024,
                base.optimizer(), 0.1, base.dtype(), 1, base.dataset(), base.schedule(), 0.5, base.health());
        TrialResult r = TrialRunner.run(huge, data, RunOptions.standalone());
        assertThat(r.summary().verdict()).isEqualTo(Verdict.FAILED);
        assertThat(r.summary().errorMessage()).contains("needs about").contains("MiB of off-heap memory")
                .contains("width 16384, depth 1000");
        assertThat(r.summary().errorStack()).contains("checkMemory");
    }
}
