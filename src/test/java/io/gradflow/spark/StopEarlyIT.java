package io.gradflow.spark;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.store.Schemas;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's acceptance for {@code health.stop_early} on local[2], read back from Parquet: vanishing sigmoid nets stop
 * with their verdict and {@code stopped_at_step}, healthy ones run to the end, and {@code --resume} treats stopped
 * trials as done.
 */
class StopEarlyIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    /** Ten blocks at learning rate 0.001: the sigmoid nets vanish and their loss barely moves. */
    static final String GRID = """
            name: stop
            seeds: [1, 2]
            axes:
              activation: [sigmoid, relu]
              init: [xavier, he]
            training: {depth: 10, width: 16, steps: 120, batch_size: 32, learning_rate: 0.001}
            dataset: {kind: blobs, classes: 3, samples: 300, features: 4, noise: 1.0, seed: 7}
            health:
              stop_early: {after: 8, window: 3}
            """;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "StopEarlyIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void vanishingTrialsStopWithTheirStepAndResumeTreatsThemAsDone() throws Exception {
        GridSpec g = GridParser.parse(GRID, "stop.yaml", "stop");
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(o.complete()).isTrue();
        Dataset<Row> trials = spark.read().parquet(tmp.resolve("stop/trials").toString());
        assertThat(trials.schema()).isEqualTo(Schemas.TRIALS.schema().asNullable());
        assertThat(trials.count()).isEqualTo(8);

        List<Row> sigmoid = trials.where("activation = 'sigmoid'")
                .select("verdict", "stopped_at_step", "steps_completed", "final_train_loss", "test_accuracy", "config")
                .collectAsList();
        assertThat(sigmoid).hasSize(4).allSatisfy(r -> {
            assertThat(r.getString(0)).isEqualTo("VANISHING");
            assertThat(r.getInt(1)).isIn(32, 64); // the window's end: sampled steps 8, 16, 32 or 16, 32, 64
            assertThat(r.getInt(2)).isEqualTo(r.getInt(1) + 1);
            assertThat(Double.isFinite(r.getDouble(3))).isTrue();
            assertThat(r.getDouble(4)).isBetween(0.0, 1.0);
            assertThat(r.getString(5)).contains(";stop_early=after:8,window:3,");
        });
        List<Row> relu = trials.where("activation = 'relu'").select("stopped_at_step", "steps_completed").collectAsList();
        assertThat(relu).hasSize(4).allSatisfy(r -> {
            assertThat(r.isNullAt(0)).isTrue();
            assertThat(r.getInt(1)).isEqualTo(120);
        });
        // the stopped trials' statistics end at the stop
        Dataset<Row> layers = spark.read().parquet(tmp.resolve("stop/layer_stats").toString());
        for (Row r : trials.where("stopped_at_step is not null").select("trial_id", "stopped_at_step").collectAsList()) {
            assertThat(layers.where("trial_id = '" + r.getString(0) + "'").agg(org.apache.spark.sql.functions.max("step"))
                    .first().getInt(0)).isEqualTo(r.getInt(1));
        }

        // the report says how many trials stopped (their verdicts are among the verdict counts)
        assertThat(java.nio.file.Files.readString(tmp.resolve("stop/report.html")))
                .contains("<div class=\"big\">4</div><div>stopped early (health.stop_early)</div>");
        assertThat(o.summary()).contains("from 8 trials (4 stopped early)");

        SweepOutcome again = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(again.complete()).isTrue();
        assertThat(again.ran()).isZero();
        assertThat(spark.read().parquet(tmp.resolve("stop/trials").toString()).where("stopped_at_step is not null").count()).isEqualTo(4);
    }
}
