package io.gradflow.spark;

import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.MemoryEstimate;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The count, task time and peak memory of a grid, found without expanding it. */
class GridEstimateTest {

    @Test
    void theSumsOverShapesEqualTheSumsOverEveryTrial() {
        GridSpec spec = GridParser.parse("""
                seeds: [1, 2]
                axes:
                  activation: [sigmoid, relu]
                  depth: [2, 8]
                  width: [16, 64]
                  batchnorm: [false, true]
                exclude:
                  - {activation: sigmoid, depth: 8}
                training: {steps: 50, batch_size: 32}
                dataset: {kind: spirals, samples: 1000}
                """, "g.yaml", "g");
        List<TrialConfig> all = Grid.expand(spec);
        GridEstimate e = GridEstimate.of(spec);
        assertThat(e.exact()).isTrue();
        assertThat(e.trials()).isEqualTo(all.size());
        double seconds = all.stream().mapToDouble(GridEstimate::seconds).sum();
        assertThat(e.taskSeconds()).isCloseTo(seconds, within(1e-6 * seconds));
        long peak = all.stream().mapToLong(t -> MemoryEstimate.bytes(t, 2, 3, 800, 200)).max().orElseThrow();
        assertThat(e.peakBytes()).isEqualTo(peak);
    }

    @Test
    void theQuickGridIsPricedNearItsMeasuredTime() {
        // BENCHMARKS.md ("OpenBLAS's kernels chosen per machine"): the quick grid's 24 trainings took 4.8-5.5 s of
        // summed trial time on local[1] (2026-12-07); the estimate is meant to be within a factor of two.
        GridEstimate e = GridEstimate.of(GridParser.parseFile(Path.of("conf/grids/quick.yaml")));
        assertThat(e.trials()).isEqualTo(24);
        assertThat(e.taskSeconds()).isBetween(2.5, 11.0);
        assertThat(e.costLine()).startsWith("estimated cost: about ").contains("task-seconds").contains("peak memory per task about ");
    }

    @Test
    void durationsReadInTheUnitThatFits() {
        assertThat(GridEstimate.duration(30)).isEqualTo("30 task-seconds");
        assertThat(GridEstimate.duration(600)).isEqualTo("10 task-minutes");
        assertThat(GridEstimate.duration(2742 * 3600.0)).isEqualTo("2742 task-hours");
    }
}
