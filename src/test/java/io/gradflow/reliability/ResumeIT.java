package io.gradflow.reliability;

import io.gradflow.grid.GridException;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.spark.SparkSessions;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
import io.gradflow.store.OutputException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Durable progress: a killed driver, --resume, --extend, changed grids and corrupt output. */
class ResumeIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    static final String TINY = """
            name: tiny
            seeds: [1, 2]
            axes:
              activation: [sigmoid, relu]
              residual: [false, true]
            training: {init: xavier, depth: 3, width: 8, steps: 6, batch_size: 16}
            dataset: {kind: blobs, samples: 120, classes: 3, features: 4}
            """;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "ResumeIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static GridSpec grid(String text) {
        return GridParser.parse(text, "tiny.yaml", "tiny");
    }

    @Test
    void aDriverKilledMidSweepIsFinishedByResumeWithoutRerunningCompletedTrials() throws Exception {
        // 12 trials of about a second each; the driver is SIGKILLed once three have been recorded.
        String text = """
                name: killed
                seeds: [1, 2, 3]
                axes:
                  activation: [tanh, relu]
                  batchnorm: [false, true]
                training: {depth: 4, width: 32, steps: 80, batch_size: 32}
                dataset: {kind: spirals, samples: 300, classes: 3}
                """;
        Path gridFile = tmp.resolve("killed.yaml");
        Files.writeString(gridFile, text);
        Path out = tmp.resolve("out");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-D") || a.startsWith("-XX") || a.startsWith("-Xmx"))
                .filter(a -> !a.startsWith("-Dbasedir") && !a.contains("surefire"))
                .toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.gradflow.cli.Main", "sweep",
                "--grid", gridFile.toString(), "--out", out.toString(), "--master", "local[2]", "--quiet",
                "--conf", "spark.ui.enabled=false"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("driver.log").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process driver = pb.start();
        Path progress = out.resolve(".killed.incomplete/_parts");
        // A guard against hanging, not a speed check: poll for up to 30 minutes.
        for (int polls = 0; polls < 18_000 && committed(progress) < 3; polls++) {
            assertThat(driver.isAlive()).as("driver still running; log: %s", log()).isTrue();
            Thread.sleep(100);
        }
        assertThat(committed(progress)).as("at least three trials recorded before the kill").isGreaterThanOrEqualTo(3);
        driver.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        driver.waitFor();
        Map<String, Long> before = startTimes(progress.toString());
        assertThat(before.size()).isBetween(3, 11);
        assertThat(out.resolve("killed")).doesNotExist();

        GridSpec g = GridParser.parseFile(gridFile);
        SweepOutcome o = SweepJob.run(spark, g, out.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isEqualTo(12 - before.size());
        assertThat(out.resolve(".killed.incomplete")).doesNotExist();
        List<Row> rows = spark.read().parquet(out.resolve("killed/trials").toString()).select("trial_id").collectAsList();
        assertThat(rows).hasSize(12);
        assertThat(rows.stream().map(r -> r.getString(0)).distinct().count()).isEqualTo(12);
        // the trials finished before the kill were not run again: their rows keep the start time of that run
        Map<String, Long> after = startTimes(out.resolve("killed/trials").toString());
        assertThat(after).hasSize(12);
        before.forEach((id, started) -> assertThat(after.get(id)).as(id).isEqualTo(started));
        // the journal of the finished sweep holds each trial once, in a compacted file, no per-trial files
        assertThat(startTimes(out.resolve("killed/_parts").toString())).isEqualTo(after);
        assertThat(committed(out.resolve("killed/_parts"))).isEqualTo(12);
        try (Stream<Path> s = Files.list(out.resolve("killed/_parts"))) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".parquet")).count()).isEqualTo(1);
        }
        assertThat(spark.read().parquet(out.resolve("killed/layer_stats").toString())
                .groupBy("trial_id", "step", "block").count().where("count > 1").count()).isZero();
    }

    @Test
    void resumingAFinishedSweepDoesNothing() throws Exception {
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        Map<String, Long> before = tree(tmp.resolve("tiny"));
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isZero();
        assertThat(o.rows()).isEqualTo(8);
        assertThat(tree(tmp.resolve("tiny"))).isEqualTo(before);
    }

    @Test
    void aChangedGridIsRefusedNamingTheChangeAndAnExtensionNeedsExtend() throws Exception {
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        Map<String, Long> before = tree(tmp.resolve("tiny"));

        GridSpec changed = grid(TINY.replace("steps: 6", "steps: 7"));
        assertThatThrownBy(() -> SweepJob.run(spark, changed, tmp.toString(), SweepJob.Mode.EXTEND, null))
                .isInstanceOf(GridException.class)
                .hasMessageContaining("training.steps changed from 6 to 7")
                .hasMessageContaining("alters trials already done");
        GridSpec moreSeeds = grid(TINY.replace("seeds: [1, 2]", "seeds: [1, 2, 3]"));
        assertThatThrownBy(() -> SweepJob.run(spark, moreSeeds, tmp.toString(), SweepJob.Mode.RESUME, null))
                .isInstanceOf(GridException.class)
                .hasMessageContaining("seeds changed from [1, 2] to [1, 2, 3]")
                .hasMessageContaining("pass --extend");
        assertThat(tree(tmp.resolve("tiny"))).isEqualTo(before);

        SweepOutcome o = SweepJob.run(spark, moreSeeds, tmp.toString(), SweepJob.Mode.EXTEND, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isEqualTo(4);
        assertThat(spark.read().parquet(tmp.resolve("tiny/trials").toString()).count()).isEqualTo(12);
        assertThat(Files.readString(tmp.resolve("tiny/grid.yaml"))).contains("seeds: [1, 2, 3]");
    }

    @Test
    void aCorruptParquetFileIsRefusedOnResumeAndLeftAsItWas() throws Exception {
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        Path part;
        try (Stream<Path> s = Files.list(tmp.resolve("tiny/layer_stats"))) {
            part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(part);
        Files.write(part, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated
        Map<String, Long> before = tree(tmp.resolve("tiny"));
        assertThatThrownBy(() -> SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null))
                .isInstanceOf(OutputException.class)
                .hasMessageContaining("has a corrupt Parquet file 'layer_stats/" + part.getFileName() + "'");
        assertThat(tree(tmp.resolve("tiny"))).isEqualTo(before);
    }

    @Test
    void anInterruptedSweepIsNotStartedOverWithoutBeingAsked() throws Exception {
        Path staging = tmp.resolve(".tiny.incomplete/_parts");
        Files.createDirectories(staging);
        Files.writeString(tmp.resolve(".tiny.incomplete/grid.yaml"), TINY);
        assertThatThrownBy(() -> SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.NEW, null))
                .isInstanceOf(OutputException.class)
                .hasMessageContaining("an interrupted sweep 'tiny' is in").hasMessageContaining("pass --resume");
        assertThat(staging).isDirectory();
        SweepOutcome o = SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isEqualTo(8);
    }

    @Test
    void resumingASweepThatNeverRanIsBadInput() {
        assertThatThrownBy(() -> SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.RESUME, null))
                .isInstanceOf(OutputException.class)
                .hasMessageContaining("there is no sweep 'tiny' in '" + tmp + "' to resume");
    }

    @Test
    void aDatasetChangedInPlaceIsRefusedOnExtendAndResumeNamingIt() throws Exception {
        Path csv = tmp.resolve("data.csv");
        StringBuilder rows = new StringBuilder("a,b,y\n");
        for (int i = 0; i < 60; i++) {
            rows.append(i % 7).append(',').append((i * 3) % 5).append(',').append(i % 2).append('\n');
        }
        Files.writeString(csv, rows.toString());
        String text = TINY.replace("dataset: {kind: blobs, samples: 120, classes: 3, features: 4}",
                "dataset: {kind: csv, path: '" + csv + "', label: y}").replace("seeds: [1, 2]", "seeds: [1]");
        SweepJob.run(spark, grid(text), tmp.toString(), SweepJob.Mode.NEW, null);
        assertThat(Files.readString(tmp.resolve("tiny/manifest.json"))).containsPattern("\"dataset_fingerprint\" : \"[0-9a-f]{64}\"");
        // the same path, the labels flipped: the trials already done were trained on other data
        Files.writeString(csv, rows.toString().replaceAll(",0\n", ",x\n").replaceAll(",1\n", ",0\n").replaceAll(",x\n", ",1\n"));
        Map<String, Long> before = tree(tmp.resolve("tiny"));
        GridSpec moreSeeds = grid(text.replace("seeds: [1]", "seeds: [1, 2]"));
        for (SweepJob.Mode mode : List.of(SweepJob.Mode.EXTEND, SweepJob.Mode.RESUME)) {
            GridSpec g = mode == SweepJob.Mode.EXTEND ? moreSeeds : grid(text);
            assertThatThrownBy(() -> SweepJob.run(spark, g, tmp.toString(), mode, null))
                    .as(mode.name()).isInstanceOf(GridException.class)
                    .hasMessageStartingWith("the data of sweep 'tiny' changed since it ran: dataset csv(path=" + csv)
                    .hasMessageContaining("now has fingerprint").hasMessageContaining("pass --overwrite")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        assertThat(tree(tmp.resolve("tiny"))).isEqualTo(before);
        // the original data back: extending is allowed again
        Files.writeString(csv, rows.toString());
        SweepOutcome o = SweepJob.run(spark, moreSeeds, tmp.toString(), SweepJob.Mode.EXTEND, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isEqualTo(4);
    }

    @Test
    void aSweepWithADeletedDatasetIsBadInputForReportAndSqlAndRewrittenFromTheJournalByResume() throws Exception {
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        Path dir = tmp.resolve("tiny");
        deleteTree(dir.resolve("trials"));
        for (String cmd : List.of("report", "sql")) {
            String[] err = new String[1];
            int code = cli(err, cmd.equals("report") ? new String[]{"report", dir.toString()}
                    : new String[]{"sql", dir.toString(), "SELECT count(*) FROM trials"});
            assertThat(code).as(cmd + ": " + err[0]).isEqualTo(2);
            assertThat(err[0].strip()).as(cmd).startsWith("gradflow: sweep folder '" + dir + "' is damaged: dataset 'trials' is missing")
                    .contains("--resume").doesNotContain("\n");
            assertThat(dir.resolve(".analysis.incomplete")).doesNotExist();
        }
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isZero();
        assertThat(o.repaired()).containsExactly("trials is missing");
        assertThat(spark.read().parquet(dir.resolve("trials").toString()).select("trial_id").distinct().count()).isEqualTo(8);
        assertThat(dir.resolve("comparison")).isDirectory();

        // a dataset with a part file gone has too few rows: rewritten the same way
        try (Stream<Path> s = Files.list(dir.resolve("curves"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList()) {
                Files.delete(p);
            }
        }
        SweepOutcome again = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(again.repaired()).hasSize(1).allMatch(r -> r.startsWith("curves cannot be read"));
        assertThat(spark.read().parquet(dir.resolve("curves").toString()).count()).isPositive();
        SweepOutcome nothing = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(nothing.repaired()).isEmpty();
        assertThat(nothing.ran()).isZero();
    }

    @Test
    void aTruncatedDatasetIsOneLineOfBadInputForReportAndSql() throws Exception {
        SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.NEW, null);
        Path dir = tmp.resolve("tiny");
        Path part;
        try (Stream<Path> s = Files.list(dir.resolve("trials"))) {
            part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(part);
        Files.write(part, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        for (String cmd : List.of("report", "sql")) {
            String[] err = new String[1];
            int code = cli(err, cmd.equals("report") ? new String[]{"report", dir.toString()}
                    : new String[]{"sql", dir.toString(), "SELECT count(*) FROM trials"});
            assertThat(code).as(cmd + ": " + err[0]).isEqualTo(2);
            assertThat(err[0].strip()).as(cmd).startsWith("gradflow: sweep folder '" + dir + "' is damaged: dataset 'trials' has a truncated or corrupt Parquet file '" + part.getFileName() + "'")
                    .doesNotContain("\n");
            assertThat(dir.resolve(".analysis.incomplete")).doesNotExist();
        }
    }

    @Test
    void aSweepWithoutItsAnalysisIsCompletedByResume() throws Exception {
        // what an interrupt during the analysis leaves: every row, but no comparison, effects or report
        GridSpec g = grid(TINY);
        SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.NEW, null);
        Path dir = tmp.resolve("tiny");
        deleteTree(dir.resolve("comparison"));
        deleteTree(dir.resolve("effects"));
        Files.delete(dir.resolve("report.html"));
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isZero();
        assertThat(o.repaired()).containsExactly("comparison, effects, report.html missing: rebuilt by the analysis");
        assertThat(o.summary()).isNotBlank();
        assertThat(dir.resolve("comparison")).isDirectory();
        assertThat(dir.resolve("effects")).isDirectory();
        assertThat(dir.resolve("report.html")).isRegularFile();
    }

    @Test
    void overwriteRefusesAFolderThatIsNotASweep() throws Exception {
        Path notes = Files.createDirectories(tmp.resolve("tiny")).resolve("notes.txt");
        Files.writeString(notes, "my notes");
        assertThatThrownBy(() -> SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.OVERWRITE, null))
                .isInstanceOf(OutputException.class)
                .hasMessage("'" + tmp.resolve("tiny") + "' is not a gradflow sweep folder (it has no grid.yaml and "
                        + "manifest.json, but holds notes.txt); --overwrite only replaces a sweep folder, so move this "
                        + "folder away or choose another --out");
        assertThat(Files.readString(notes)).isEqualTo("my notes");
        assertThat(tmp.resolve(".tiny.incomplete")).doesNotExist();
        // an empty folder holds nothing to lose, and a real sweep is still replaced
        Files.delete(notes);
        assertThat(SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.OVERWRITE, null).complete()).isTrue();
        assertThat(SweepJob.run(spark, grid(TINY), tmp.toString(), SweepJob.Mode.OVERWRITE, null).complete()).isTrue();
    }

    @Test
    void ctrlCPrintsOneLineExits130AndResumeFinishesTheSweepAndItsAnalysis() throws Exception {
        String text = """
                # long enough (estimated over 5 s each) that every trial is a task of its own and commits alone
                name: stopped
                seeds: [1, 2, 3]
                axes:
                  activation: [tanh, relu]
                  batchnorm: [false, true]
                training: {depth: 8, width: 32, steps: 2500, batch_size: 32}
                dataset: {kind: spirals, samples: 300, classes: 3}
                """;
        Path gridFile = tmp.resolve("stopped.yaml");
        Files.writeString(gridFile, text);
        Path out = tmp.resolve("out");
        Process driver = driver(gridFile, out);
        Path progress = out.resolve(".stopped.incomplete/_parts");
        // A guard against hanging, not a speed check: poll for up to 30 minutes.
        for (int polls = 0; polls < 18_000 && committed(progress) < 2; polls++) {
            assertThat(driver.isAlive()).as("driver still running; log: %s", log()).isTrue();
            Thread.sleep(100);
        }
        new ProcessBuilder("kill", "-INT", Long.toString(driver.pid())).inheritIO().start().waitFor();
        assertThat(driver.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)).as("driver exits after SIGINT").isTrue();
        String log = log();
        assertThat(driver.exitValue()).as(log).isEqualTo(130);
        List<String> lines = log.lines().filter(l -> l.contains("interrupted:")).toList();
        assertThat(lines).as(log).hasSize(1);
        assertThat(lines.get(0)).matches("gradflow: interrupted: \\d+ of 12 trials kept; rerun with --resume");
        assertThat(log).as("no stack traces").doesNotContain("\tat ").doesNotContain("Exception");
        int kept = Integer.parseInt(lines.get(0).replaceAll("\\D+(\\d+) of.*", "$1"));
        assertThat(committed(progress)).isEqualTo(kept);
        assertThat(kept).isBetween(2, 11);

        SweepOutcome o = SweepJob.run(spark, GridParser.parseFile(gridFile), out.toString(), SweepJob.Mode.RESUME, null);
        assertThat(o.complete()).isTrue();
        assertThat(o.ran()).isEqualTo(12 - kept);
        assertThat(spark.read().parquet(out.resolve("stopped/trials").toString()).count()).isEqualTo(12);
        assertThat(out.resolve("stopped/report.html")).isRegularFile();
    }

    private Process driver(Path gridFile, Path out) throws Exception {
        List<String> cmd = new ArrayList<>();
        // SIGINT at its default disposition in the driver, as at a terminal: a build started in the background
        // (`mvn verify &`, nohup) runs with SIGINT ignored, which every child inherits and the JVM then keeps
        // ignored, so Ctrl-C could never reach the sweep. GNU env (coreutils ≥ 8.31) resets it and execs java.
        cmd.addAll(List.of("env", "--default-signal=INT"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-D") || a.startsWith("-XX") || a.startsWith("-Xmx"))
                .filter(a -> !a.startsWith("-Dbasedir") && !a.contains("surefire"))
                .toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.gradflow.cli.Main", "sweep",
                "--grid", gridFile.toString(), "--out", out.toString(), "--master", "local[2]", "--quiet",
                "--conf", "spark.ui.enabled=false"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("driver.log").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private static int cli(String[] err, String... args) {
        java.io.StringWriter e = new java.io.StringWriter();
        picocli.CommandLine cl = io.gradflow.cli.Main.commandLine();
        cl.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        cl.setErr(new java.io.PrintWriter(e, true));
        int code = cl.execute(args);
        err[0] = e.toString();
        return code;
    }

    private static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    private String log() {
        try {
            return Files.readString(tmp.resolve("driver.log"));
        } catch (Exception e) {
            return "(no log)";
        }
    }

    /** Trials in the committed parts of a journal, summed from their footers (a retry would count twice). */
    static long committed(Path parts) throws Exception {
        if (!Files.isDirectory(parts)) {
            return 0;
        }
        long n = 0;
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".parquet")
                    && !p.getFileName().toString().startsWith(".")).toList()) {
                try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                        org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(p.toUri()), conf))) {
                    n += r.getRecordCount();
                }
            }
        }
        return n;
    }

    /** trial_id → started_at (epoch ms) of a trials dataset or a journal. */
    private static Map<String, Long> startTimes(String path) {
        Map<String, Long> m = new TreeMap<>();
        org.apache.spark.sql.Dataset<Row> df = path.endsWith("_parts")
                ? spark.read().schema(io.gradflow.store.Parts.schema()).parquet(path) : spark.read().parquet(path);
        for (Row r : df.select("trial_id", "started_at").collectAsList()) {
            assertThat(m.put(r.getString(0), r.getTimestamp(1).getTime())).as("one row per trial in " + path).isNull();
        }
        return m;
    }

    /** Every file under a folder with its size and modification time. */
    private static Map<String, Long> tree(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).collect(Collectors.toMap(
                    p -> dir.relativize(p).toString(), p -> {
                        File f = p.toFile();
                        return f.lastModified() * 1_000_003L + f.length();
                    }, (a, b) -> a, TreeMap::new));
        }
    }
}
