package io.gradflow.trial;

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
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every new axis value with every other: each activation × residual form × batch norm trains a few steps, with the
 * clipping rule and the initialization taking each of their values in turn, and every run yields a full row.
 */
class RemedyCombinationsTest {

    private static final ClipSpec[] CLIPS = {ClipSpec.NONE, ClipSpec.parse("norm(0.5)"), ClipSpec.parse("layer_norm(0.5)"),
            ClipSpec.parse("value(0.05)")};
    private static final InitSpec[] INITS = {InitSpec.of(InitSpec.Kind.XAVIER), InitSpec.of(InitSpec.Kind.HE),
            InitSpec.of(InitSpec.Kind.LECUN), InitSpec.normal(0.3)};

    @Test
    void everyActivationResidualFormBatchNormClipAndInitTrains() {
        var data = Fixtures.blobs(64, 4, 3, 11);
        List<String> problems = new ArrayList<>();
        int k = 0;
        for (Activation a : Activation.values()) {
            for (Residual r : Residual.values()) {
                for (boolean bn : new boolean[]{false, true}) {
                    ClipSpec clip = CLIPS[k % CLIPS.length];
                    InitSpec init = INITS[(k / CLIPS.length) % INITS.length];
                    k++;
                    TrialConfig c = new TrialConfig(a, init, bn, r, 3, 8, 4, 16, Optimizer.MOMENTUM, 0.05,
                            Precision.FLOAT, 1, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                            HealthThresholds.defaults(), clip);
                    TrialResult res = TrialRunner.run(c, data, RunOptions.standalone());
                    TrialSummary s = res.summary();
                    String what = a.key() + " " + init.key() + " bn=" + bn + " residual=" + r.key() + " clip=" + clip.key();
                    if (s.verdict() == Verdict.FAILED || s.verdict() == Verdict.DIVERGED) {
                        problems.add(what + ": " + s.verdict() + " " + s.errorMessage());
                        continue;
                    }
                    if (s.stepsCompleted() != 4 || !(s.clippedShare() >= 0 && s.clippedShare() <= 1)
                            || (clip.isNone() && s.clippedShare() != 0)) {
                        problems.add(what + ": steps " + s.stepsCompleted() + ", clipped share " + s.clippedShare());
                    }
                    if (r.hasSkip() && Double.isNaN(s.flowDeltaOutInit())) {
                        problems.add(what + ": no stream flow");
                    }
                    if (r != Residual.REZERO && Double.isNaN(s.flowDeltaInit())) {
                        problems.add(what + ": no flow of δ at init");
                    }
                    // log2 schedule over 4 steps: 0, 1, 2, 3 → 4 sampled steps × 3 blocks
                    if (res.layerStats().size() != 4 * 3) {
                        problems.add(what + ": " + res.layerStats().size() + " layer rows");
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }
}
