package io.gradflow.spark;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quick grid's claim, checked on its own settings (ten blocks of width 64 on the same spirals) with fewer
 * steps: deep sigmoid + Xavier vanishes by more than two decades, ReLU + He keeps the flow within half a decade.
 */
class RemedyEvidenceIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "RemedyEvidenceIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void sigmoidXavierVanishesAndReluHeDoesNot() throws Exception {
        String quick = Files.readString(Path.of("conf/grids/quick.yaml"));
        // Same networks and data as the quick grid; statistics at init do not depend on the number of steps.
        String text = quick.replace("steps: 200", "steps: 12")
                .replace("  batchnorm: [false, true]\n  residual: [false, true]\n", "")
                .replace("activation: [sigmoid, tanh, relu]", "activation: [sigmoid, relu]")
                + "exclude:\n  - {activation: sigmoid, init: he}\n  - {activation: relu, init: xavier}\n";
        assertThat(text).contains("steps: 12").contains("depth: 10").contains("width: 64");
        GridSpec g = GridParser.parse(text, "quick-short.yaml", "quick");
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), false, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.trials()).isEqualTo(2);
        List<Row> rows = spark.read().parquet(tmp.resolve("quick/trials").toString())
                .select("activation", "init", "flow_log10_delta_init", "verdict").collectAsList();
        for (Row r : rows) {
            if (r.getString(0).equals("sigmoid")) {
                assertThat(r.getString(1)).isEqualTo("xavier");
                assertThat(r.getDouble(2)).isLessThan(-2.0);
                assertThat(r.getString(3)).isEqualTo("VANISHING");
            } else {
                assertThat(r.getString(1)).isEqualTo("he");
                assertThat(r.getDouble(2)).isBetween(-0.5, 0.5);
                assertThat(r.getString(3)).isEqualTo("HEALTHY");
            }
        }
    }
}
