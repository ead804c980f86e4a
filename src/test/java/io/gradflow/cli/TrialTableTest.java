package io.gradflow.cli;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The sweep's per-trial table: rows that differ in any varied axis must print differently. */
class TrialTableTest {

    private static final GridSpec GRID = GridParser.parse("""
            seeds: [1]
            axes:
              activation: [relu]
              optimizer: [sgd, adam]
              learning_rate: [0.01, 0.1]
              width: [16, 32]
              batchnorm: [false, true]
            training: {depth: 3, steps: 10}
            dataset: {kind: spirals}
            """, "t.yaml", "t");

    @Test
    void theDriverSideOrderIsSparkSqlsAscendingOrder() {
        // nulls first; NaN above every number; -0.0 and 0.0 equal; false before true; strings by code point
        List<Object> doubles = new java.util.ArrayList<>(java.util.Arrays.asList(Double.NaN, 1.0, null, -2.5,
                Double.POSITIVE_INFINITY, 0.0));
        doubles.sort(TrialTable::compareSql);
        assertThat(doubles).containsExactly(null, -2.5, 0.0, 1.0, Double.POSITIVE_INFINITY, Double.NaN);
        assertThat(TrialTable.compareSql(-0.0, 0.0)).isZero();
        assertThat(TrialTable.compareSql(false, true)).isNegative();
        assertThat(TrialTable.compareSql("relu", "elu")).isPositive();
        assertThat(TrialTable.compareSql("B", "a")).isNegative();
        assertThat(TrialTable.compareSql(3, 20)).isNegative();
        assertThat(TrialTable.compareSql(null, null)).isZero();
    }

    @Test
    void everyVariedAxisIsAColumnAndFixedOnesAreNot() {
        assertThat(TrialTable.variedAxes(GRID)).containsExactly("optimizer", "learning_rate", "width", "batchnorm");
    }

    @Test
    void trialsThatDifferOnlyInOptimizerLearningRateOrWidthPrintDifferently() {
        List<Row> rows = List.of(
                RowFactory.create("sgd", 0.01, 16, false, 1L, "HEALTHY", -0.5, -0.4, 0.9, 1200L),
                RowFactory.create("adam", 0.01, 16, false, 1L, "HEALTHY", -0.5, -0.4, 0.9, 1200L),
                RowFactory.create("sgd", 0.1, 16, false, 1L, "HEALTHY", -0.5, -0.4, 0.9, 1200L),
                RowFactory.create("sgd", 0.01, 32, true, 1L, "HEALTHY", -0.5, null, null, 1200L));
        String text = TrialTable.render(TrialTable.variedAxes(GRID), rows, 16);
        List<String> lines = text.lines().toList();
        assertThat(lines.get(0).split("\\s+")).containsExactly("optimizer", "lr", "width", "bn", "seed", "verdict",
                "flow_init", "flow_train", "test_acc", "secs");
        List<String> body = lines.subList(2, 6);
        assertThat(body).doesNotHaveDuplicates();
        assertThat(body.get(1)).startsWith("adam");
        assertThat(body.get(2)).contains("0.1 ");
        assertThat(body.get(3)).contains(" 32 ").contains("yes").endsWith("-         -   1.2");
        assertThat(lines.get(6)).isEqualTo("(first 4 of 16 trials)");
    }
}
