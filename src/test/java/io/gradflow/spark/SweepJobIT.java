package io.gradflow.spark;

import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.store.OutputException;
import io.gradflow.store.Schemas;
import io.gradflow.trial.Verdict;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sweeps end to end on one shared local[2] session, read back from the Parquet they write. */
class SweepJobIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    static final String TINY = """
            name: tiny
            seeds: [1, 2]
            axes:
              activation: [sigmoid, relu]
              residual: [false, true]
            training:
              init: xavier
              depth: 3
              width: 8
              steps: 6
              batch_size: 16
            dataset: {kind: blobs, samples: 120, classes: 3, features: 4}
            """;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "SweepJobIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @AfterEach
    void clearInjection() {
        spark.conf().unset(SweepJob.INJECT_FAIL_CONF);
    }

    private static GridSpec grid(String text) {
        return GridParser.parse(text, "test.yaml", "test");
    }

    @Test
    void theProgressSaysHowBusyTheSlotsWereAndWhatTheDriverSpentPerTrial() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        SweepOutcome o = SweepJob.run(spark, grid(TINY), tmp.resolve("busy").toString(), false,
                new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(o.complete()).isTrue();
        String text = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher busy = java.util.regex.Pattern
                .compile("task slots busy ([0-9.]+)% \\((\\d+) tasks on 2 slots").matcher(text);
        assertThat(busy.find()).as(text).isTrue();
        // Spark's executor time of the tasks over the slots' span: a share, never above the whole (give or take the
        // millisecond rounding of Spark's task times)
        assertThat(Double.parseDouble(busy.group(1))).isGreaterThan(0).isLessThanOrEqualTo(101);
        assertThat(Integer.parseInt(busy.group(2))).isBetween(1, 8);
        assertThat(text).containsPattern("driver CPU: \\d+ ms to start the job, \\d+ ms while 8 trials ran \\([0-9.]+ ms per trial\\)");
    }

    @Test
    void aTinySweepWritesOneRowPerTrialAndOneLayerRowPerSampledStepAndBlock() throws Exception {
        GridSpec g = grid(TINY);
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), false, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.trials()).isEqualTo(8);
        Path dir = tmp.resolve("tiny");
        Dataset<Row> trials = spark.read().parquet(dir.resolve("trials").toString());
        assertThat(trials.count()).isEqualTo(8);
        assertThat(trials.select("trial_id").distinct().count()).isEqualTo(8);
        List<String> expectedIds = Grid.expand(g).stream().map(TrialConfig::trialId).sorted().toList();
        assertThat(trials.select("trial_id").orderBy("trial_id").collectAsList().stream().map(r -> r.getString(0)))
                .containsExactlyElementsOf(expectedIds);
        assertThat(trials.columns()).containsExactlyElementsOf(Schemas.TRIALS.columnNames());
        assertThat(trials.schema()).isEqualTo(Schemas.TRIALS.schema().asNullable());
        assertThat(trials.where("verdict = 'FAILED'").count()).isZero();
        assertThat(trials.where("executor_id = 'driver' and spark_version = '" + spark.version() + "'").count()).isEqualTo(8);
        // the OpenBLAS kernels the trials ran are recorded, as this JVM chose them
        assertThat(trials.where("blas_core = '" + io.gradflow.trial.OpenBlasCore.inUse() + "'").count()).isEqualTo(8);

        // log2 schedule for 6 steps: 0, 1, 2, 4, 5 → 5 sampled steps × 3 blocks × 8 trials
        Dataset<Row> layers = spark.read().parquet(dir.resolve("layer_stats").toString());
        assertThat(layers.count()).isEqualTo(5 * 3 * 8);
        assertThat(layers.groupBy("trial_id", "step", "block").count().where("count > 1").count()).isZero();
        assertThat(layers.where("delta_norm is null or grad_norm is null").count()).isZero();
        assertThat(layers.join(trials, "trial_id").where("residual and delta_out_norm is null").count()).isZero();
        assertThat(layers.join(trials, "trial_id").where("not residual and delta_out_norm is not null").count()).isZero();

        Dataset<Row> curves = spark.read().parquet(dir.resolve("curves").toString());
        assertThat(curves.count()).isEqualTo(6 * 8);
        assertThat(Files.readString(dir.resolve("grid.yaml"))).isEqualTo(TINY);
        String manifest = Files.readString(dir.resolve("manifest.json"));
        assertThat(manifest).contains("\"sweep\" : \"tiny\"").contains("\"trials_written\" : 8")
                .contains("\"master\" : \"local[2]\"");
        assertThat(tmp.resolve(".tiny.incomplete")).doesNotExist();
    }

    @Test
    void aTrialThatThrowsBecomesAFailedRowAndTheSweepCompletes() {
        GridSpec g = grid(TINY);
        String victim = Grid.expand(g).get(3).trialId();
        spark.conf().set(SweepJob.INJECT_FAIL_CONF, victim);
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), false, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.count(Verdict.FAILED)).isEqualTo(1);
        Dataset<Row> trials = spark.read().parquet(tmp.resolve("tiny/trials").toString());
        List<Row> failed = trials.where("verdict = 'FAILED'").select("trial_id", "error_message", "error_stack").collectAsList();
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).getString(0)).isEqualTo(victim);
        assertThat(failed.get(0).getString(1)).contains("failed on purpose");
        assertThat(failed.get(0).getString(2)).contains("at io.gradflow.trial.TrialRunner");
        assertThat(trials.where("verdict <> 'FAILED' and flow_log10_delta_init is not null").count()).isEqualTo(7);
        assertThat(spark.read().parquet(tmp.resolve("tiny/layer_stats").toString())
                .where("trial_id = '" + victim + "'").count()).isZero();
    }

    @Test
    void aThrowingTrialAndADivergingTrialBecomeRowsWhileTheRestComplete() {
        // learning rate 10 on N(0, 9) weights: the loss overflows within a few steps
        String text = """
                name: mixed
                seeds: [1]
                axes:
                  init: [xavier, normal(3.0)]
                  learning_rate: [0.01, 10]
                training: {activation: relu, depth: 6, width: 16, steps: 50, batch_size: 32}
                dataset: {kind: blobs, samples: 200, classes: 3, features: 4}
                exclude:
                  - {init: normal(3.0), learning_rate: 0.01}
                """;
        GridSpec g = grid(text);
        TrialConfig victim = Grid.expand(g).stream()
                .filter(t -> t.init().key().equals("xavier") && t.learningRate() == 10).findFirst().orElseThrow();
        spark.conf().set(SweepJob.INJECT_FAIL_CONF, victim.trialId());
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), false, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.rows()).isEqualTo(3);
        Dataset<Row> trials = spark.read().parquet(tmp.resolve("mixed/trials").toString());
        assertThat(trials.where("verdict = 'FAILED'").select("trial_id").collectAsList())
                .extracting(r -> r.getString(0)).containsExactly(victim.trialId());
        List<Row> diverged = trials.where("verdict = 'DIVERGED'").select("init", "error_message", "steps_completed").collectAsList();
        assertThat(diverged).hasSize(1);
        assertThat(diverged.get(0).getString(0)).isEqualTo("normal(3.0)");
        assertThat(diverged.get(0).getString(1)).contains("training loss became");
        assertThat(diverged.get(0).getInt(2)).isLessThan(30);
        assertThat(trials.where("verdict not in ('FAILED', 'DIVERGED')").count()).isEqualTo(1);
    }

    @Test
    void aSweepWhereEveryTrialFailsStillWritesEveryRow() {
        spark.conf().set(SweepJob.INJECT_FAIL_CONF, "all");
        SweepOutcome o = SweepJob.run(spark, grid(TINY), tmp.toString(), false, null);
        assertThat(o.rows()).isEqualTo(8);
        assertThat(o.count(Verdict.FAILED)).isEqualTo(8);
        assertThat(o.complete()).isTrue();
        Dataset<Row> trials = spark.read().parquet(tmp.resolve("tiny/trials").toString());
        assertThat(trials.where("verdict = 'FAILED' and error_message is not null").count()).isEqualTo(8);
        assertThat(spark.read().parquet(tmp.resolve("tiny/layer_stats").toString()).count()).isZero();
    }

    @Test
    void twoRunsGiveIdenticalIdsAndBitIdenticalStatistics() {
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.resolve("a").toString(), false, null);
        SweepJob.run(spark, g, tmp.resolve("b").toString(), false, null);
        for (String ds : List.of("layer_stats", "curves")) {
            List<Row> a = spark.read().parquet(tmp.resolve("a/tiny/" + ds).toString()).orderBy("trial_id", "step").collectAsList();
            List<Row> b = spark.read().parquet(tmp.resolve("b/tiny/" + ds).toString()).orderBy("trial_id", "step").collectAsList();
            assertThat(b).as(ds).isEqualTo(a);
        }
        String cols = "trial_id, verdict, flow_log10_delta_init, flow_log10_delta_train, flow_log10_grad_init, "
                + "final_train_loss, test_accuracy, test_loss, steps_to_target";
        assertThat(spark.read().parquet(tmp.resolve("b/tiny/trials").toString()).selectExpr(cols.split(", ")).orderBy("trial_id").collectAsList())
                .isEqualTo(spark.read().parquet(tmp.resolve("a/tiny/trials").toString()).selectExpr(cols.split(", ")).orderBy("trial_id").collectAsList());
    }

    @Test
    void anExistingSweepIsNeverOverwrittenSilently() throws Exception {
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.toString(), false, null);
        Path trials = tmp.resolve("tiny/trials");
        Map<String, Long> before = sizes(trials);
        assertThatThrownBy(() -> SweepJob.run(spark, g, tmp.toString(), false, null))
                .isInstanceOf(OutputException.class)
                .hasMessageContaining("sweep directory '" + tmp.resolve("tiny") + "' already exists; pass --resume to finish or extend it, --overwrite to replace it");
        assertThat(sizes(trials)).isEqualTo(before);
        SweepOutcome again = SweepJob.run(spark, g, tmp.toString(), true, null);
        assertThat(again.complete()).isTrue();
        assertThat(spark.read().parquet(trials.toString()).count()).isEqualTo(8);
    }

    private static Map<String, Long> sizes(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.collect(Collectors.toMap(p -> p.getFileName().toString(), p -> p.toFile().lastModified() * 31 + p.toFile().length()));
        }
    }
}
