package io.gradflow.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The sweep command end to end, each run with its own local[2] session as a user would start it. */
class SweepCommandIT {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    static final String GRID = """
            name: cli
            seeds: [1]
            axes:
              activation: [tanh, relu]
            training: {depth: 2, width: 8, steps: 4, batch_size: 16}
            dataset: {kind: spirals, samples: 100, classes: 2}
            """;

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private Path grid(String text) throws Exception {
        Path g = tmp.resolve("cli.yaml");
        Files.writeString(g, text);
        return g;
    }

    @Test
    void aCompleteSweepExitsZeroAndPrintsTheSummary() throws Exception {
        int code = run("sweep", "--grid", grid(GRID).toString(), "--out", tmp.resolve("out").toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet");
        assertThat(code).as(err.toString()).isEqualTo(Main.OK);
        assertThat(out.toString()).startsWith("grid 'cli': 2 trials (2 combinations × 1 seed)\nestimated cost: about ").contains("2 of 2 trials have a row").contains("results: " + tmp.resolve("out/cli"))
                .contains("activation").contains("tanh").contains("relu");
        assertThat(tmp.resolve("out/cli/trials")).isDirectory();
        assertThat(tmp.resolve("out/cli/manifest.json")).isRegularFile();
    }

    @Test
    void aOneStepSweepAnalysesAndReports() throws Exception {
        int code = run("sweep", "--grid", grid(GRID.replace("steps: 4", "steps: 1")).toString(), "--out",
                tmp.resolve("out").toString(), "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet");
        assertThat(code).as(err.toString()).isEqualTo(Main.OK);
        assertThat(tmp.resolve("out/cli/report.html")).isRegularFile();
        assertThat(Files.readString(tmp.resolve("out/cli/report.html"))).contains("No training step after step 0 was sampled");
        code = run("report", tmp.resolve("out/cli").toString(), "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertThat(code).as(err.toString()).isEqualTo(Main.OK);
        out.getBuffer().setLength(0);
        code = run("sql", tmp.resolve("out/cli").toString(), "SELECT count(*) AS n, count(flow_log10_delta_train) AS with_train, "
                + "count(flow_log10_delta_init) AS with_init FROM trials", "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertThat(code).as(err.toString()).isEqualTo(Main.OK);
        assertThat(out.toString()).containsPattern("\\b2\\s+0\\s+2\\b");
    }

    @Test
    void theSummaryManifestAndReportShowOneWallTime() throws Exception {
        int code = run("sweep", "--grid", grid(GRID).toString(), "--out", tmp.resolve("out").toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet");
        assertThat(code).as(err.toString()).isEqualTo(Main.OK);
        com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(tmp.resolve("out/cli/manifest.json").toFile());
        long wall = m.get("wall_time_ms").asLong();
        assertThat(java.time.Instant.parse(m.get("finished_at").asText()).toEpochMilli()
                - java.time.Instant.parse(m.get("started_at").asText()).toEpochMilli()).isEqualTo(wall);
        String clock = io.gradflow.analysis.Durations.clock(wall);
        assertThat(out.toString()).contains("2 of 2 trials have a row (").contains("; sweep wall time " + clock + "\n");
        assertThat(Files.readString(tmp.resolve("out/cli/report.html")))
                .contains("<div class=\"big\">" + clock + "</div><div>sweep wall time</div>");
    }

    @Test
    void aSweepWhoseTasksCrashExitsOne() throws Exception {
        int code = run("sweep", "--grid", grid(GRID).toString(), "--out", tmp.resolve("out").toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet",
                "--conf", "spark.gradflow.inject.crash=all");
        assertThat(code).isEqualTo(Main.INCOMPLETE);
        assertThat(err.toString()).contains("the sweep did not complete").contains("crashed on purpose");
    }

    @Test
    void anExistingSweepDirectoryIsBadInputAndStaysUntouched() throws Exception {
        Path existing = tmp.resolve("out/cli");
        Files.createDirectories(existing);
        Files.writeString(existing.resolve("keep.txt"), "precious");
        int code = run("sweep", "--grid", grid(GRID).toString(), "--out", tmp.resolve("out").toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet");
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString().strip()).isEqualTo("gradflow: sweep directory '" + existing
                + "' already exists; pass --resume to finish or extend it, --overwrite to replace it, or choose another --out");
        assertThat(Files.readString(existing.resolve("keep.txt"))).isEqualTo("precious");
        assertThat(existing.toFile().list()).containsExactly("keep.txt");
    }

    @Test
    void aMissingDataFileIsBadInput() throws Exception {
        String csv = tmp.resolve("nope.csv").toString();
        int code = run("sweep", "--grid", grid(GRID.replace("{kind: spirals, samples: 100, classes: 2}",
                        "{kind: csv, path: '" + csv + "', label: y}")).toString(),
                "--out", tmp.resolve("out").toString(), "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("dataset.path").contains("nope.csv").contains("does not exist");
        assertThat(tmp.resolve("out/cli")).doesNotExist();
        assertThat(tmp.resolve("out/.cli.incomplete")).doesNotExist();
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> badData() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("no label column", "a,b,c\n1,2,0\n3,4,1\n5,6,0\n",
                        "dataset.label 'y' is not a column of"),
                org.junit.jupiter.params.provider.Arguments.of("non-numeric feature", "a,b,y\n1,2,0\n3,abc,1\n5,6,0\n",
                        "dataset column 'b' of"),
                org.junit.jupiter.params.provider.Arguments.of("missing value", "a,b,y\n1,2,0\n3,,1\n5,6,0\n",
                        "has a missing value in row 2"));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("badData")
    void badCsvDataIsExitCodeTwoAndTouchesNothing(String name, String csv, String message) throws Exception {
        Path data = tmp.resolve("data.csv");
        Files.writeString(data, csv);
        Path other = tmp.resolve("out/other/trials");
        Files.createDirectories(other);
        Files.writeString(other.resolve("part-0.parquet"), "earlier");
        int code = run("sweep", "--grid", grid(GRID.replace("{kind: spirals, samples: 100, classes: 2}",
                        "{kind: csv, path: '" + data + "', label: y}")).toString(),
                "--out", tmp.resolve("out").toString(), "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).startsWith("gradflow: ").contains(message);
        assertThat(err.toString().strip().lines().count()).isEqualTo(1);
        assertThat(tmp.resolve("out").toFile().list()).containsExactly("other");
        assertThat(Files.readString(other.resolve("part-0.parquet"))).isEqualTo("earlier");
    }

    @Test
    void anOutputPathThatCannotBeWrittenIsBadInput() throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "not a directory");
        int code = run("sweep", "--grid", grid(GRID).toString(), "--out", file.resolve("sub").toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).startsWith("gradflow: output path '" + file.resolve("sub") + "' cannot be");
        assertThat(Files.readString(file)).isEqualTo("not a directory");
    }

    @Test
    void resumeOfAFinishedSweepSaysThereIsNothingToDo() throws Exception {
        String[] args = {"sweep", "--grid", grid(GRID).toString(), "--out", tmp.resolve("out").toString(),
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet"};
        assertThat(run(args)).isEqualTo(Main.OK);
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        assertThat(run(resume)).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("nothing to do: sweep 'cli' already has a row for each of its 2 trials");
        String[] both = java.util.Arrays.copyOf(resume, resume.length + 1);
        both[resume.length] = "--overwrite";
        assertThat(run(both)).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("--overwrite cannot be combined with --resume");
    }
}
