package io.gradflow.reliability;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.spark.SparkSessions;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
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
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The journal of executor-written parts against what can go wrong with it: a task retried after it committed its
 * part, a part that cannot be read, and a driver killed while it rewrote the parts into the datasets.
 */
class PartsIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        // local[2,4]: two slots and up to four attempts per task, so that Spark retries a task that crashed
        spark = SparkSessions.create("local[2,4]", Map.of("spark.ui.enabled", "false"), "PartsIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @AfterEach
    void clearInjection() {
        spark.conf().unset(SweepJob.INJECT_CRASH_AFTER_COMMIT_CONF);
        spark.conf().unset(io.gradflow.store.Parts.DRIVER_MAX_ROWS_CONF);
    }

    private static GridSpec grid() {
        return GridParser.parse(ResumeIT.TINY, "tiny.yaml", "tiny");
    }

    private void assertOneRowPerTrial(Path dir, int trials) {
        assertThat(spark.read().parquet(dir.resolve("trials").toString()).count()).isEqualTo(trials);
        assertThat(spark.read().parquet(dir.resolve("trials").toString()).select("trial_id").distinct().count()).isEqualTo(trials);
        assertThat(spark.read().parquet(dir.resolve("layer_stats").toString())
                .groupBy("trial_id", "step", "block").count().where("count > 1").count()).isZero();
        assertThat(spark.read().parquet(dir.resolve("curves").toString())
                .groupBy("trial_id", "step").count().where("count > 1").count()).isZero();
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "finished on the {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"driver", "spark"})
    void everyTaskRetriedAfterCommittingItsPartStillGivesOneRowPerTrial(String finish) throws Exception {
        spark.conf().set(SweepJob.INJECT_CRASH_AFTER_COMMIT_CONF, "all");
        if (finish.equals("spark")) {
            spark.conf().set(io.gradflow.store.Parts.DRIVER_MAX_ROWS_CONF, "0"); // the journal rewritten by Spark jobs
        }
        SweepOutcome o = SweepJob.run(spark, grid(), tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(o.complete()).as(String.valueOf(o.error())).isTrue();
        assertThat(o.rows()).isEqualTo(8);
        Path dir = tmp.resolve("tiny");
        assertOneRowPerTrial(dir, 8);
        // every trial was committed twice (first attempt, then its retry); the compacted journal holds it once
        assertThat(ResumeIT.committed(dir.resolve("_parts"))).isEqualTo(8);
        assertThat(names(dir.resolve("_parts")).stream().filter(n -> n.endsWith(".parquet"))).hasSize(1);
        assertThat(names(dir.resolve("_parts")).stream().filter(n -> n.startsWith("_") || n.contains(".tmp")
                || n.startsWith(".") && !n.endsWith(".parquet.crc"))).isEmpty();
        SweepOutcome again = SweepJob.run(spark, grid(), tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(again.ran()).isZero();
        assertThat(again.repaired()).isEmpty();
    }

    @Test
    void anUnreadablePartOfAnInterruptedSweepIsMovedAsideAndItsTrialsRunAgain() throws Exception {
        SweepJob.run(spark, grid(), tmp.toString(), SweepJob.Mode.NEW, null);
        // the state a driver killed before its final write leaves: a staging folder with the journal
        Path staging = tmp.resolve(".tiny.incomplete");
        Files.move(tmp.resolve("tiny"), staging);
        Path part;
        try (Stream<Path> s = Files.list(staging.resolve("_parts"))) {
            part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(part);
        Files.write(part, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Files.deleteIfExists(part.resolveSibling("." + part.getFileName() + ".crc"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SweepOutcome o = SweepJob.run(spark, grid(), tmp.toString(), SweepJob.Mode.RESUME,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertThat(o.complete()).as(String.valueOf(o.error())).isTrue();
        assertThat(o.ran()).isEqualTo(8);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("1 unreadable progress parts in")
                .contains("moved to _corrupt/: their trials run again");
        Path dir = tmp.resolve("tiny");
        assertOneRowPerTrial(dir, 8);
        assertThat(names(dir.resolve("_parts/_corrupt"))).contains(part.getFileName().toString());
    }

    @Test
    void aDriverKilledDuringTheFinalWriteIsFinishedFromTheJournalWithoutRunningATrial() throws Exception {
        SweepJob.run(spark, grid(), tmp.toString(), SweepJob.Mode.NEW, null);
        Path staging = tmp.resolve(".tiny.incomplete");
        Files.move(tmp.resolve("tiny"), staging);
        Path parts = staging.resolve("_parts");
        Path part;
        try (Stream<Path> s = Files.list(parts)) {
            part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        // what a kill leaves mid-way: a compaction that appended but did not yet delete (a duplicate part), Spark's
        // temporary folder, a task's hidden temporary file, a half-written dataset and a missing one
        Files.copy(part, parts.resolve("part-99999-duplicate.parquet"));
        Files.createDirectories(parts.resolve("_temporary/0"));
        Files.writeString(parts.resolve("_temporary/0/junk"), "x");
        Files.writeString(parts.resolve(".part-00001-x.tmp"), "half");
        try (Stream<Path> s = Files.walk(staging.resolve("curves"))) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        try (Stream<Path> s = Files.list(staging.resolve("trials"))) {
            Path t = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.write(t, new byte[]{1, 2, 3});
        }
        SweepOutcome o = SweepJob.run(spark, grid(), tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).as(String.valueOf(o.error())).isTrue();
        assertThat(o.ran()).isZero();
        Path dir = tmp.resolve("tiny");
        assertOneRowPerTrial(dir, 8);
        assertThat(dir.resolve("report.html")).isRegularFile();
        assertThat(names(dir.resolve("_parts")).stream().filter(n -> n.endsWith(".parquet"))).hasSize(1);
        assertThat(names(dir.resolve("_parts")).stream().filter(n -> n.startsWith("_") || n.contains(".tmp")
                || n.startsWith(".") && !n.endsWith(".parquet.crc"))).isEmpty();
        assertThat(ResumeIT.committed(dir.resolve("_parts"))).isEqualTo(8);
    }
}
