package io.gradflow.spark;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** When a grid goes the distributed way, and its setting; without Spark (DistributedGridIT runs it). */
class DistributedGridTest {

    private static GridSpec grid(String widths, String seeds) {
        return GridParser.parse("""
                name: g
                seeds: [%s]
                axes:
                  activation: [tanh, relu]
                  width: [%s]
                training: {depth: 2, steps: 5}
                dataset: {kind: blobs}
                """.formatted(seeds, widths), "g.yaml", "g");
    }

    @Test
    void aGridGoesTheDistributedWayFromTheThresholdOnWithOneClassPerCostShape() {
        GridSpec g = grid("8, 16, 32", "1, 2, 3, 4");
        assertThat(DistributedGrid.ifLarge(g, 25, false)).isEmpty();
        DistributedGrid d = DistributedGrid.ifLarge(g, 24, false).orElseThrow();
        assertThat(d.size()).isEqualTo(24);
        // width is a cost axis, activation is not: three classes of eight trials
        assertThat(d.classes()).isEqualTo(3);
        // a grid that may hold data-parallel trials stays on the driver, whatever its size
        assertThat(DistributedGrid.ifLarge(g, 1, true)).isEmpty();
    }

    @Test
    void aGridOfTooManyCostClassesIsWalkedOnTheDriver() {
        StringBuilder widths = new StringBuilder();
        for (int w = 1; w <= DistributedGrid.MAX_CLASSES + 1; w++) {
            widths.append(w == 1 ? "" : ", ").append(w);
        }
        assertThat(DistributedGrid.ifLarge(grid(widths.toString(), "1"), 1, false)).isEmpty();
    }

    @Test
    void theThresholdIsAWholeNumberAndBadInputNamesTheSettingAndTheValue() {
        assertThat(DistributedGrid.threshold(" 100 ")).isEqualTo(100);
        assertThat(DistributedGrid.threshold("0")).isZero();
        for (String bad : new String[]{"-1", "1e5", "many"}) {
            assertThatThrownBy(() -> DistributedGrid.threshold(bad))
                    .hasMessage("spark.gradflow.grid.distributedFrom '" + bad + "' is not a whole number of trials (0 or more)");
        }
    }
}
