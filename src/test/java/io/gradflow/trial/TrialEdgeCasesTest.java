package io.gradflow.trial;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Trials at the edges: total underflow, a single step, divergence. Each once gave a wrong row. */
class TrialEdgeCasesTest {

    private final Dataset data = Fixtures.blobs(200, 4, 3, 11);

    @Test
    void aGradientThatUnderflowsToZeroIsVanishingNotHealthy() {
        // sigmoid + Xavier loses about 0.62 decades of ‖δ‖ per block: over 99 blocks that is far below float's
        // smallest subnormal (1.4e-45), so the first blocks' δ is exactly 0.0 in float.
        TrialConfig c = Fixtures.trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 100, 3);
        TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
        TrialSummary s = r.summary();
        assertThat(s.errorStack()).isNull();
        assertThat(r.layerStats().stream().filter(ls -> ls.step() == 0 && ls.block() == 1).findFirst().orElseThrow()
                .deltaPre()).isZero();
        assertThat(s.flowUnderflow()).isTrue();
        assertThat(s.flowDeltaInit()).isNaN();
        assertThat(s.verdict()).isEqualTo(Verdict.VANISHING);
    }

    @Test
    void aHealthyNetworkDoesNotUnderflow() {
        TrialConfig c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 4, 3);
        TrialSummary s = TrialRunner.run(c, data, RunOptions.standalone()).summary();
        assertThat(s.flowUnderflow()).isFalse();
        assertThat(s.flowDeltaInit()).isFinite();
    }

    @Test
    void oneStepLeavesTheTrainingMeansUndefined() {
        TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 3, 1);
        TrialSummary s = TrialRunner.run(c, data, RunOptions.standalone()).summary();
        assertThat(s.stepsCompleted()).isEqualTo(1);
        assertThat(s.flowDeltaInit()).isFinite();
        assertThat(s.flowDeltaTrain()).isNaN();
        assertThat(s.flowGradTrain()).isNaN();
        assertThat(s.slopeDeltaTrain()).isNaN();
    }

    @Test
    void aDivergedStepRecordsNoNormFromNonFiniteValues() {
        TrialConfig base = Fixtures.trial(Activation.RELU, InitSpec.normal(3.0), false, false, 6, 50);
        TrialConfig c = new TrialConfig(base.activation(), base.init(), false, false, 6, 16, 50, 32,
                base.optimizer(), 10.0, base.dtype(), 1, base.dataset(), base.schedule(), 0.5, base.health());
        TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
        assertThat(r.summary().verdict()).isEqualTo(Verdict.DIVERGED);
        int last = r.layerStats().stream().mapToInt(LayerStat::step).max().orElseThrow();
        assertThat(r.layerStats()).filteredOn(ls -> ls.step() == last).allSatisfy(ls -> {
            // the last recorded step is the one whose loss was non-finite: nothing in it is a number
            assertThat(ls.deltaPre()).isNaN();
            assertThat(ls.gradNorm()).isNaN();
        });
        assertThat(r.layerStats()).allSatisfy(ls -> {
            assertThat(ls.deltaPre()).satisfiesAnyOf(v -> assertThat(v).isNaN(), v -> assertThat(v).isPositive().isFinite());
            assertThat(ls.gradNorm()).satisfiesAnyOf(v -> assertThat(v).isNaN(), v -> assertThat(v).isPositive().isFinite());
            assertThat(ls.actMean()).satisfiesAnyOf(v -> assertThat(v).isNaN(), v -> assertThat(v).isFinite());
        });
    }
}
