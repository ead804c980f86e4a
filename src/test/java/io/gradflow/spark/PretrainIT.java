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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's acceptance for the {@code pretrain} axis on local[2], read back from Parquet: a grid with
 * {@code pretrain: [none, autoencoder(...)]} on deep sigmoid networks runs end to end, and the comparison, the effects
 * and the report show pretraining's effect on the flow at the start of fine-tuning and on test accuracy; and the
 * models that sweep writes ({@code outputs: {models: true}}) warm-start other sweeps ({@code init: pretrained(...)}):
 * transfer to data with other shapes, and a warm start that begins exactly where its model's training ended.
 */
class PretrainIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    static final String GRID = """
            name: pretrain
            seeds: [1, 2]
            axes:
              pretrain: [none, "autoencoder(30, 0.1)"]
              batchnorm: [false, true]
            training: {activation: sigmoid, init: xavier, depth: 6, width: 16, steps: 40, batch_size: 32, learning_rate: 0.1}
            dataset: {kind: blobs, classes: 3, samples: 300, features: 8, noise: 1.0, seed: 7}
            outputs: {models: true}
            """;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "PretrainIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void aPretrainGridRunsEndToEndAndItsEffectIsInComparisonEffectsAndReport() throws Exception {
        GridSpec g = GridParser.parse(GRID, "pretrain.yaml", "pretrain");
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(o.complete()).isTrue();
        Path dir = tmp.resolve("pretrain");
        Dataset<Row> trials = spark.read().parquet(dir.resolve("trials").toString());
        assertThat(trials.schema()).isEqualTo(Schemas.TRIALS.schema().asNullable());
        assertThat(trials.count()).isEqualTo(8);
        assertThat(trials.where("verdict = 'FAILED'").count()).isZero();
        List<Row> pre = trials.where("pretrain = 'autoencoder(30, 0.1)'")
                .select("pretrain_loss", "pretrain_time_ms", "config", "flow_log10_delta_init").collectAsList();
        assertThat(pre).hasSize(4).allSatisfy(r -> {
            assertThat(r.getDouble(0)).isPositive();
            assertThat(r.isNullAt(1)).isFalse();
            assertThat(r.getString(2)).endsWith(";pretrain=autoencoder(30, 0.1)");
            assertThat(r.isNullAt(3)).isFalse();
        });
        assertThat(trials.where("pretrain = 'none' and pretrain_loss is null and pretrain_time_ms is null"
                + " and config not like '%pretrain%'").count()).isEqualTo(4);

        Dataset<Row> effects = spark.read().parquet(dir.resolve("effects").toString());
        for (String outcome : new String[]{"flow_log10_delta_init", "test_accuracy"}) {
            List<Row> e = effects.where("kind = 'main' and axis = 'pretrain' and level = 'autoencoder(30, 0.1)'"
                    + " and baseline = 'none' and outcome = '" + outcome + "'").select("n_pairs", "mean_diff").collectAsList();
            assertThat(e).as(outcome).hasSize(1);
            assertThat(e.get(0).getInt(0)).isEqualTo(4);
            if (outcome.startsWith("flow")) {
                assertThat(e.get(0).getDouble(1)).as("pretraining changes the flow at the start of fine-tuning").isNotZero();
            }
        }
        Dataset<Row> comparison = spark.read().parquet(dir.resolve("comparison").toString());
        assertThat(comparison.select("pretrain").distinct().collectAsList().stream().map(r -> r.getString(0)).toList())
                .containsExactlyInAnyOrder("none", "autoencoder(30, 0.1)");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("pretrain=autoencoder(30, 0.1)");

        // Every trained network is a DL4J model file, named by its trial, with its configuration beside it.
        List<Row> rows = trials.select("trial_id", "combination_id", "pretrain", "batchnorm", "test_loss", "config")
                .collectAsList();
        for (Row r : rows) {
            Path zip = dir.resolve("models").resolve(r.getString(0) + ".zip");
            assertThat(zip).exists();
            var meta = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    dir.resolve("models").resolve(r.getString(0) + ".json").toFile());
            assertThat(meta.get("config").asText()).isEqualTo(r.getString(5));
            var restored = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(zip.toFile(), false);
            assertThat(io.gradflow.model.WarmStart.fingerprint(restored)).isEqualTo(meta.get("weights_fingerprint").asText());
        }
        Row source = rows.stream().filter(r -> !r.getString(2).equals("none") && !r.getBoolean(3)).findFirst().orElseThrow();

        // Transfer: the pretrained combination's models (one per seed) start trials on data with other shapes.
        String transfer = """
                name: transfer
                seeds: [1, 2]
                axes:
                  init: [xavier, "pretrained(%s, %s)"]
                training: {activation: sigmoid, depth: 6, width: 16, steps: 20, batch_size: 32, learning_rate: 0.1}
                dataset: {kind: blobs, classes: 4, samples: 300, features: 5, noise: 1.0, seed: 8}
                """.formatted(dir, source.getString(1));
        GridSpec tg = GridParser.parse(transfer, "transfer.yaml", "transfer");
        SweepOutcome to = SweepJob.run(spark, tg, tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(to.complete()).isTrue();
        Dataset<Row> tt = spark.read().parquet(tmp.resolve("transfer/trials").toString());
        assertThat(tt.where("verdict = 'FAILED'").count()).isZero();
        List<Row> warm = tt.where("init like 'pretrained(%'").select("config", "theory_flow_log10_delta_init").collectAsList();
        assertThat(warm).hasSize(2).allSatisfy(r -> {
            assertThat(r.getString(0)).contains(";init=pretrained(" + dir + ", " + source.getString(1) + ")@");
            assertThat(r.isNullAt(1)).as("no mean-field prediction for trained weights").isTrue();
        });
        List<Row> initEffect = spark.read().parquet(tmp.resolve("transfer/effects").toString())
                .where("kind = 'main' and axis = 'init' and baseline = 'xavier' and outcome = 'flow_log10_delta_init'")
                .select("n_pairs", "mean_diff").collectAsList();
        assertThat(initEffect).hasSize(1);
        assertThat(initEffect.get(0).getInt(0)).isEqualTo(2);
        assertThat(initEffect.get(0).getDouble(1)).as("pretrained blocks change the flow at init").isNotZero();
        assertThat(SweepJob.run(spark, tg, tmp.toString(), SweepJob.Mode.RESUME, null).ran())
                .as("a resumed warm-start sweep has nothing to run").isZero();

        // Same data and shapes: the warm start's first evaluation is the model's last one, batch norm included.
        Row bnSource = rows.stream().filter(r -> r.getBoolean(3) && r.getString(2).equals("none")
                && r.getString(5).contains(";seed=1;")).findFirst().orElseThrow();
        String resume = """
                name: again
                seeds: [1]
                training: {activation: sigmoid, init: "pretrained(%s)", batchnorm: true, depth: 6, width: 16, steps: 1,
                           batch_size: 32, learning_rate: 0.1}
                dataset: {kind: blobs, classes: 3, samples: 300, features: 8, noise: 1.0, seed: 7}
                """.formatted(dir.resolve("models").resolve(bnSource.getString(0) + ".zip"));
        assertThat(SweepJob.run(spark, GridParser.parse(resume, "again.yaml", "again"), tmp.toString(),
                SweepJob.Mode.NEW, null).complete()).isTrue();
        double first = spark.read().parquet(tmp.resolve("again/curves").toString()).where("step = 0")
                .select("test_loss").first().getDouble(0);
        assertThat(first).isEqualTo(bnSource.getDouble(4));
    }
}
