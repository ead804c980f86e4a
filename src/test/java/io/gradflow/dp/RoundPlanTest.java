package io.gradflow.dp;

import io.gradflow.data.Dataset;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.Grid;
import io.gradflow.grid.Parallelism;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure core of data-parallel trials and the parallelism setting: no Spark, no DL4J. */
class RoundPlanTest {

    private static TrialConfig data(int steps, int f) {
        TrialConfig b = Fixtures.trial(io.gradflow.grid.Activation.RELU,
                io.gradflow.grid.InitSpec.of(io.gradflow.grid.InitSpec.Kind.HE), false, false, 2, steps);
        return new TrialConfig(b.activation(), b.init(), false, false, 2, b.width(), steps, b.batchSize(),
                b.optimizer(), b.learningRate(), b.dtype(), b.seed(), b.dataset(), b.schedule(), b.targetLoss(),
                b.health(), new Parallelism(Parallelism.Mode.DATA, 2, 0, f));
    }

    @Test
    void roundsCoverTheStepsAndTheLog2ScheduleRunsOverRounds() {
        RoundPlan p = RoundPlan.of(data(20, 4));
        assertThat(p.rounds()).isEqualTo(5);
        assertThat(p.sampledRounds()).containsExactly(0, 1, 2, 4);
        assertThat(p.stepOf(4)).isEqualTo(16);
        assertThat(RoundPlan.of(data(21, 4)).steps()).isEqualTo(24); // rounded up to whole rounds
        assertThat(RoundPlan.of(data(20, 1)).sampledRounds()).containsExactly(0, 1, 2, 4, 8, 16, 19);
    }

    @Test
    void communicationIsTheRoundTimeTheWorkersDidNotSpendFitting() {
        assertThat(RoundPlan.communicationMs(1000, 1200, 2)).isEqualTo(400);
        assertThat(RoundPlan.communicationMs(100, 400, 2)).isZero();
    }

    @Test
    void shardsSplitAGlobalMinibatchIntoDisjointContiguousParts() {
        MinibatchOrder o = new MinibatchOrder(1, 100, 12);
        int[] g = o.next();
        assertThat(MinibatchOrder.shard(g, 0, 3)).containsExactly(Arrays.copyOfRange(g, 0, 4));
        assertThat(MinibatchOrder.shard(g, 2, 3)).containsExactly(Arrays.copyOfRange(g, 8, 12));
        Set<Integer> seen = new HashSet<>();
        Arrays.stream(g).forEach(seen::add);
        for (int s = 1; s < 8; s++) { // 8 × 12 = 96 ≤ 100: one pass over the permutation, no repeats
            for (int i : o.next()) {
                assertThat(seen.add(i)).isTrue();
            }
        }
        assertThatThrownBy(() -> MinibatchOrder.shard(g, 0, 5)).hasMessageContaining("does not split evenly over 5 workers");
    }

    @Test
    void taskIdsDoNotChangeAndDataSettingsEnterTheId() {
        TrialConfig b = Fixtures.trial(io.gradflow.grid.Activation.RELU,
                io.gradflow.grid.InitSpec.of(io.gradflow.grid.InitSpec.Kind.HE), false, false, 2, 20);
        assertThat(b.canonical()).doesNotContain("parallelism");
        TrialConfig d = data(20, 1);
        assertThat(d.canonical()).endsWith(";parallelism=data;workers=2;batch_size_per_worker=0;averaging_frequency=1");
        assertThat(d.trialId()).isNotEqualTo(data(20, 2).trialId());
    }

    @Test
    void aGridMixesBothAndValidatesTheSettings() {
        String yaml = """
                name: mix
                seeds: [1]
                axes:
                  parallelism: [task, data]
                  averaging_frequency: [1, 2]
                exclude: [{parallelism: task, averaging_frequency: 2}]
                training: {steps: 10, workers: 2, batch_size_per_worker: 8}
                dataset: {kind: blobs, samples: 200, classes: 3, features: 4}
                """;
        GridSpec spec = GridParser.parse(yaml, "mix.yaml", null);
        List<TrialConfig> trials = Grid.expand(spec);
        long data = trials.stream().filter(t -> t.parallelism().isData()).count();
        assertThat(data).isEqualTo(2);
        assertThat(trials.stream().filter(t -> !t.parallelism().isData()).map(TrialConfig::trialId).distinct().count())
                .isEqualTo(1); // task trials ignore the data settings
        assertThatThrownBy(() -> GridParser.parse(yaml.replace("exclude: [{parallelism: task, averaging_frequency: 2}]\n", ""), "mix.yaml", null))
                .hasMessageContaining("axes.averaging_frequency varies a setting that parallelism: task trials ignore")
                .hasMessageContaining("exclude: [{parallelism: task, averaging_frequency: 2}]");
        assertThatThrownBy(() -> GridParser.parse(yaml.replace("[task, data]", "[task, shared]"), "mix.yaml", null))
                .hasMessageContaining("parallelism 'shared' is not supported; choose one of task, data");
        assertThatThrownBy(() -> GridParser.parse(yaml.replace("averaging_frequency: [1, 2]", "averaging_frequency: [0]"), "mix.yaml", null))
                .hasMessageContaining("averaging_frequency 0 is not allowed; it must be between 1 and 10000");
    }

    @Test
    void theBroadcastLimitRefusesWithOneSentenceThatPointsToDataParallelism() {
        Dataset d = Fixtures.blobs(200, 4, 3, 1);
        long bytes = BroadcastLimit.bytes(d);
        assertThat(bytes).isEqualTo(4L * (200 * 4 + 200));
        assertThat(BroadcastLimit.refusal("blobs", bytes, bytes)).isNull();
        String r = BroadcastLimit.refusal("csv(path=/big.csv)", 3L << 30, BroadcastLimit.DEFAULT_BYTES);
        assertThat(r).contains("3072 MiB", "512 MiB", "training.parallelism: data", BroadcastLimit.CONF).doesNotContain("\n");
    }
}
