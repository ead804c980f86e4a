package io.gradflow.spark;

import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A grid forced through the distributed path ({@link DistributedGrid}: threshold 1) gives the driver path's rows:
 * the same trial ids, one row per trial, bit-identical statistics; also when it resumes a sweep whose job failed
 * part-way, and when it extends a sweep with more seeds.
 */
class DistributedGridIT {

    private static SparkSession spark;
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    /**
     * Two cost classes (depth 10, then 8); trials priced at 0.5-0.6 s by the cost model (about a tenth of that measured),
     * so a task carries one or two of them and a failed task leaves a partial journal.
     */
    static String grid(String seeds) {
        return """
                name: dist
                seeds: [%s]
                axes:
                  activation: [tanh, relu]
                  init: [xavier, he]
                  depth: [8, 10]
                training: {width: 2, steps: 1000, batch_size: 16}
                dataset: {kind: blobs, samples: 96, classes: 2, features: 3}
                """.formatted(seeds);
    }

    private static final String SEEDS = "1, 2";
    /** Columns that differ between runs of the same trial: times, host and executor. */
    private static final Set<String> VARYING = Set.of("wall_time_ms", "train_time_ms", "stats_time_ms",
            "averaging_time_ms", "pretrain_time_ms", "host", "executor_id", "started_at");

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "DistributedGridIT");
        // The reference: the driver path (16 trials, far below the default threshold).
        SweepOutcome o = SweepJob.run(spark, spec(SEEDS), shared.resolve("driver").toString(), false, null);
        assertThat(o.complete()).isTrue();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @AfterEach
    void reset() {
        spark.conf().unset(DistributedGrid.CONF);
        spark.conf().unset(SweepJob.INJECT_CRASH_AFTER_COMMIT_CONF);
    }

    private static GridSpec spec(String seeds) {
        return GridParser.parse(grid(seeds), "dist.yaml", "dist");
    }

    private static String sweep(SweepJob.Mode mode, String seeds, Path out) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        SweepJob.run(spark, spec(seeds), out.toString(), mode, ps);
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static List<Row> rows(Path sweepDir, String dataset) {
        Dataset<Row> df = spark.read().parquet(sweepDir.resolve(dataset).toString());
        Column[] keep = Arrays.stream(df.columns()).filter(c -> !VARYING.contains(c)).map(df::col).toArray(Column[]::new);
        String[] order = dataset.equals("trials") ? new String[]{"trial_id"}
                : dataset.equals("curves") ? new String[]{"trial_id", "step"} : new String[]{"trial_id", "step", "block"};
        return df.select(keep).orderBy(Arrays.stream(order).map(df::col).toArray(Column[]::new)).collectAsList();
    }

    private static void sameRowsAsTheDriverPath(Path sweepDir) {
        List<Row> trials = rows(sweepDir, "trials");
        assertThat(trials).hasSize(16);
        assertThat(trials).isEqualTo(rows(shared.resolve("driver/dist"), "trials"));
        for (String ds : List.of("layer_stats", "curves")) {
            assertThat(rows(sweepDir, ds)).as(ds).isEqualTo(rows(shared.resolve("driver/dist"), ds));
        }
    }

    @Test
    void aGridExpandedOnTheExecutorsGivesTheDriverPathsRows() {
        spark.conf().set(DistributedGrid.CONF, "1");
        String log = sweep(SweepJob.Mode.NEW, SEEDS, tmp);
        assertThat(log).contains("[gradflow] 16 trials in 2 cost classes, expanded and matched against the journal on "
                + "the executors (spark.gradflow.grid.distributedFrom=1)");
        sameRowsAsTheDriverPath(tmp.resolve("dist"));
        // the default threshold keeps this grid on the driver
        spark.conf().unset(DistributedGrid.CONF);
        assertThat(sweep(SweepJob.Mode.OVERWRITE, SEEDS, tmp)).doesNotContain("cost classes");
    }

    @Test
    void resumeAfterAFailedJobRunsOnlyTheTrialsTheJournalLacks() {
        spark.conf().set(DistributedGrid.CONF, "1");
        // The task of the seventh trial of the first (longest) class commits its part, then dies; on local[2] a task is
        // not retried, so the job fails there and leaves a partial journal: the tasks before it, perhaps the one
        // beside it, never the later ones.
        GridSpec g = spec(SEEDS);
        Grid.Slice first = Grid.slices(g, GridEstimate.SHAPE, 100).orElseThrow().stream()
                .filter(sl -> sl.representative().depth() == 10).findFirst().orElseThrow();
        spark.conf().set(SweepJob.INJECT_CRASH_AFTER_COMMIT_CONF, Grid.at(g, first.raw(6)).trialId());
        SweepOutcome failed = SweepJob.run(spark, spec(SEEDS), tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(failed.complete()).isFalse();
        Path parts = tmp.resolve(".dist.incomplete/_parts");
        Map<String, Long> before = startTimes(parts);
        assertThat(before.size()).isBetween(2, 12);
        spark.conf().unset(SweepJob.INJECT_CRASH_AFTER_COMMIT_CONF);

        SweepOutcome o = SweepJob.run(spark, spec(SEEDS), tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isEqualTo(16 - before.size());
        sameRowsAsTheDriverPath(tmp.resolve("dist"));
        // the trials of the partial journal were not run again: their rows keep that run's start times
        Map<String, Long> after = startTimes(tmp.resolve("dist/trials"));
        before.forEach((id, t) -> assertThat(after.get(id)).as(id).isEqualTo(t));
        // resuming the finished sweep runs nothing
        assertThat(SweepJob.run(spark, spec(SEEDS), tmp.toString(), SweepJob.Mode.RESUME, null).ran()).isZero();
    }

    @Test
    void aSignalBeforeThePreparationReturnsStartsNoTrialWritesNothingAndSaysSo() {
        spark.conf().set(DistributedGrid.CONF, "1");
        // The signal is in before the executors have expanded the grid: the preparation's jobs finish, no trial job
        // starts (it used to run every trial and only then report the interruption).
        Interrupts interrupts = Interrupts.unhandled(new PrintStream(java.io.OutputStream.nullOutputStream()));
        interrupts.request();
        SweepOutcome o = SweepJob.run(spark, spec(SEEDS), tmp.toString(), SweepJob.Mode.NEW, null, interrupts);
        assertThat(o.interrupted()).isTrue();
        assertThat(o.ran()).isZero();
        assertThat(o.rows()).isZero();
        assertThat(Files.exists(tmp.resolve("dist"))).isFalse();
        assertThat(Files.exists(tmp.resolve(".dist.incomplete"))).isFalse();
        // so the line does not send the user to --resume, which would find no sweep
        assertThat(interrupts.message()).isEqualTo("interrupted before the sweep began; nothing was written, so run the same command again");
        SweepOutcome r = SweepJob.run(spark, spec(SEEDS), tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(r.complete()).isTrue();
        assertThat(r.ran()).isEqualTo(16);
        sameRowsAsTheDriverPath(tmp.resolve("dist"));
    }

    @Test
    void aSignalWhileTheExecutorsExpandAGridEndsTheSweepAsInterruptedNotWithTheCancelledJobsError() {
        spark.conf().set(DistributedGrid.CONF, "1");
        // 100,000 one-step trials: the signal comes as the first job (the grid's expansion) starts and cancels it.
        String seeds = java.util.stream.IntStream.rangeClosed(1, 2_500).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(", "));
        String rates = java.util.stream.IntStream.rangeClosed(1, 40).mapToObj(i -> Double.toString(i / 1000.0))
                .collect(java.util.stream.Collectors.joining(", "));
        GridSpec g = GridParser.parse("""
                name: huge
                seeds: [%s]
                axes:
                  learning_rate: [%s]
                training: {depth: 1, width: 2, steps: 1, batch_size: 8}
                dataset: {kind: blobs, samples: 40, classes: 2, features: 2}
                """.formatted(seeds, rates), "huge.yaml", "huge");
        Interrupts interrupts = Interrupts.unhandled(new PrintStream(java.io.OutputStream.nullOutputStream()));
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean();
        org.apache.spark.scheduler.SparkListener signal = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart e) {
                if (first.compareAndSet(false, true)) {
                    interrupts.request();
                }
            }
        };
        interrupts.attach(spark);
        spark.sparkContext().addSparkListener(signal);
        SweepOutcome o;
        try {
            o = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null, interrupts);
        } finally {
            spark.sparkContext().removeSparkListener(signal);
        }
        assertThat(first.get()).isTrue();
        assertThat(o.interrupted()).isTrue();
        assertThat(o.trials()).isEqualTo(100_000);
        assertThat(o.rows()).isLessThan(100_000);
    }

    @Test
    void extendingWithMoreSeedsRunsOnlyTheNewTrials() throws Exception {
        spark.conf().set(DistributedGrid.CONF, "1");
        assertThat(SweepJob.run(spark, spec("1"), tmp.toString(), SweepJob.Mode.NEW, null).complete()).isTrue();
        Map<String, Long> before = startTimes(tmp.resolve("dist/trials"));
        assertThat(before).hasSize(8);
        String log = sweep(SweepJob.Mode.EXTEND, SEEDS, tmp);
        assertThat(log).contains("resuming 'dist': 8 of 16 trials already have a row, 8 to run");
        sameRowsAsTheDriverPath(tmp.resolve("dist"));
        Map<String, Long> after = startTimes(tmp.resolve("dist/trials"));
        before.forEach((id, t) -> assertThat(after.get(id)).as(id).isEqualTo(t));
        assertThat(Files.exists(tmp.resolve(".dist.incomplete"))).isFalse();
    }

    private static Map<String, Long> startTimes(Path dir) {
        Map<String, Long> m = new HashMap<>();
        for (Row r : spark.read().parquet(dir.toString()).selectExpr("trial_id", "unix_micros(started_at)").collectAsList()) {
            assertThat(m.put(r.getString(0), r.getLong(1))).as("one row per trial: %s", r.getString(0)).isNull();
        }
        return m;
    }
}
