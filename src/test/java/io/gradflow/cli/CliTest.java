package io.gradflow.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupWriteSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Exit codes and messages of the commands that do not start Spark. */
class CliTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void gridDryRunCountsAndListsTheTrials() {
        int code = run("grid", "--grid", "conf/grids/quick.yaml");
        assertThat(code).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("grid 'quick': 24 trials (24 combinations × 1 seed)")
                .contains("dataset: spirals(");
        assertThat(out.toString()).contains("trial_id").contains("activation").contains("sigmoid");
        assertThat(out.toString().lines().filter(l -> l.matches("[0-9a-f]{16} .*")).count()).isEqualTo(24);
    }

    @Test
    void aOneTrialGridSaysOneTrialNotOneTrials() throws Exception {
        Path g = tmp.resolve("one.yaml");
        Files.writeString(g, "seeds: [7]\ndataset: {kind: spirals}\n");
        assertThat(run("grid", "--grid", g.toString())).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("grid 'one': 1 trial (1 combination × 1 seed)");
    }

    @Test
    void theRemediesGridHasTheFullCrossProduct() {
        assertThat(run("grid", "--grid", "conf/grids/remedies.yaml", "--limit", "3")).isEqualTo(Main.OK);
        // 6 activations × 3 inits × 2 × 2 × 5 depths × 3 seeds
        assertThat(out.toString()).contains("1080 trials").contains("... and 1077 more");
    }

    @Test
    void aBadGridIsExitCodeTwoWithOneLineNamingFieldValueAndLine() throws Exception {
        Path g = tmp.resolve("bad.yaml");
        Files.writeString(g, "seeds: [1]\naxes:\n  activation: [relu6]\ndataset: {kind: spirals}\n");
        int code = run("grid", "--grid", g.toString());
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString().strip())
                .isEqualTo("gradflow: " + g + " line 3: activation 'relu6' is not supported; choose one of "
                        + "sigmoid, tanh, relu, leakyrelu, elu, gelu, identity, softsign, selu");
    }

    @Test
    void sweepRejectsABadGridBeforeStartingSpark() throws Exception {
        Path g = tmp.resolve("bad.yaml");
        Files.writeString(g, "seeds: [1]\ntraining:\n  depth: 0\ndataset: {kind: spirals}\n");
        long t0 = System.nanoTime();
        int code = run("sweep", "--grid", g.toString(), "--out", tmp.resolve("out").toString());
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("line 3: depth 0 is not allowed; it must be between 1 and 1000");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void aMissingGridFileIsBadInput() {
        assertThat(run("sweep", "--grid", tmp.resolve("nope.yaml").toString())).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("grid file '" + tmp.resolve("nope.yaml") + "' does not exist");
    }

    @Test
    void missingOptionsAndUnknownCommandsAreBadInput() {
        assertThat(run("sweep")).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("Missing required option: '--grid=<grid>'");
        assertThat(run("frobnicate")).isEqualTo(Main.BAD_INPUT);
        assertThat(run()).isEqualTo(Main.BAD_INPUT);
    }

    @Test
    void benchRejectsASweepMasterThatIsNotLocalBeforeMeasuringAnything() {
        assertThat(run("bench", "--sweep-masters", "local[2],yarn", "--work", tmp.resolve("b").toString()))
                .isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("--sweep-masters: 'yarn' is not a local master such as local[2].");
        assertThat(out.toString()).doesNotContain("SGEMM");
        assertThat(tmp.resolve("b")).doesNotExist();
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[]{"sweep", "grid", "schema"}) {
            StringWriter o = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(o, true));
            assertThat(cl.execute(cmd, "--help")).isEqualTo(Main.OK);
            assertThat(o.toString()).contains("Usage: gradflow " + cmd);
        }
        assertThat(run("sweep", "--help")).isZero();
        assertThat(out.toString()).contains("Default: results").contains("Exit codes");
    }

    @Test
    void schemaPrintsTheColumnTables() {
        assertThat(run("schema")).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("#### `trials`").contains("| `flow_log10_delta_init` | double | yes |");
    }

    // ------------------------------------------------------------------------ the dry run checks the dataset

    private Path fileGrid(String kind, Path data, String label) throws Exception {
        Path g = tmp.resolve("data.yaml");
        Files.writeString(g, "seeds: [1]\naxes:\n  activation: [tanh, relu]\n"
                + "dataset: {kind: " + kind + ", path: '" + data + "', label: " + label + "}\n");
        return g;
    }

    /** A real one-row-group Parquet file with columns a (double) and y (int), written without Spark. */
    private Path parquet(String name) throws Exception {
        Path file = tmp.resolve(name);
        MessageType schema = MessageTypeParser.parseMessageType("message t { required double a; required int32 y; }");
        Configuration conf = new Configuration();
        GroupWriteSupport.setSchema(schema, conf);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withConf(conf).withType(schema).build()) {
            SimpleGroupFactory f = new SimpleGroupFactory(schema);
            w.write(f.newGroup().append("a", 1.5).append("y", 0));
            w.write(f.newGroup().append("a", -2.0).append("y", 1));
        }
        return file;
    }

    @Test
    void gridAcceptsAGoodCsvAndSaysWhichFileItMeans() throws Exception {
        Path data = tmp.resolve("good.csv");
        Files.writeString(data, "a,b,y\n1,2,0\n3,4,1\n");
        assertThat(run("grid", "--grid", fileGrid("csv", data, "y").toString())).as(err.toString()).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("dataset: csv " + data.toUri().toString().replace("file:///", "file:/")
                + ", label 'y', 2 feature columns");
    }

    @Test
    void gridNamesAParquetFileGivenAsCsv() throws Exception {
        Path data = parquet("data.parquet");
        assertThat(run("grid", "--grid", fileGrid("csv", data, "y").toString())).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString().strip()).isEqualTo("gradflow: dataset.path '" + data
                + "' is a Parquet file, but dataset.kind is 'csv'; set kind: parquet.");
    }

    @Test
    void gridNamesACsvGivenAsParquet() throws Exception {
        Path data = tmp.resolve("data.csv");
        Files.writeString(data, "a,y\n1,0\n2,1\n");
        assertThat(run("grid", "--grid", fileGrid("parquet", data, "y").toString())).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString().strip()).isEqualTo("gradflow: dataset.path '" + data
                + "' is not a Parquet file (it does not start with Parquet's 'PAR1' marker), but dataset.kind is "
                + "'parquet'; it is text: if it is a CSV, set kind: csv.");
    }

    @Test
    void gridChecksTheLabelColumnOfCsvAndParquet() throws Exception {
        Path csv = tmp.resolve("data.csv");
        Files.writeString(csv, "a,b\n1,0\n2,1\n");
        assertThat(run("grid", "--grid", fileGrid("csv", csv, "y").toString())).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("gradflow: dataset.label 'y' is not a column of '" + csv
                + "'; its columns are a, b.");
        Path pq = parquet("data.parquet");
        assertThat(run("grid", "--grid", fileGrid("parquet", pq, "label").toString())).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("gradflow: dataset.label 'label' is not a column of '" + pq
                + "'; its columns are a, y.");
    }

    @Test
    void gridReportsAMissingDatasetAndWhereARelativePathPoints() throws Exception {
        Path g = tmp.resolve("rel.yaml");
        Files.writeString(g, "seeds: [1]\ndataset: {kind: csv, path: no/such.csv, label: y}\n");
        assertThat(run("grid", "--grid", g.toString())).isEqualTo(Main.BAD_INPUT);
        String cwd = Path.of("").toAbsolutePath().toUri().toString().replace("file:///", "file:/");
        assertThat(err.toString().strip()).isEqualTo("gradflow: dataset.path 'no/such.csv' does not exist (a relative "
                + "path is resolved against the current directory, so it means '" + cwd + "no/such.csv').");
    }

    @Test
    void gridPrintsTheEstimatedCostAndPeakMemoryPerTask() {
        assertThat(run("grid", "--grid", "conf/grids/quick.yaml", "--limit", "1")).isEqualTo(Main.OK);
        assertThat(out.toString().lines().toList().get(1))
                .matches("estimated cost: about \\d+ task-seconds of task time \\(one core each\\), peak memory per task about \\d+ MiB off-heap");
    }

    static final String HUGE = """
            name: huge
            seeds: [%s]
            axes:
              activation: [sigmoid, tanh, relu, leakyrelu, elu, gelu]
              init: [xavier, he, lecun, "normal(1.0)", "normal(0.1)"]
              depth: [2, 4, 8, 16]
              width: [8, 16, 32, 64, 128]
              learning_rate: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
              batch_size: [8, 16, 32, 64, 128, 256]
              steps: [10, 20, 50, 100, 200]
            dataset: {kind: spirals}
            """.formatted(java.util.stream.LongStream.rangeClosed(1, 100).mapToObj(Long::toString)
            .collect(java.util.stream.Collectors.joining(", ")));

    @Test
    void anEighteenMillionTrialGridIsCountedPricedAndListedWithoutRunningOutOfMemory() throws Exception {
        Path g = tmp.resolve("huge.yaml");
        Files.writeString(g, HUGE);
        assertThat(run("grid", "--grid", g.toString(), "--limit", "3")).as(err.toString()).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("grid 'huge': 18000000 trials (180000 combinations × 100 seeds)")
                .contains("task-hours").contains("... and 17999997 more");
    }

    @Test
    void aSweepAboveTheTrialLimitIsRefusedBeforeSparkStartsAndMaxTrialsNamesTheWayOut() throws Exception {
        Path g = tmp.resolve("huge.yaml");
        Files.writeString(g, HUGE);
        Path outDir = tmp.resolve("out");
        int code = run("sweep", "--grid", g.toString(), "--out", outDir.toString());
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString().strip()).startsWith("gradflow: sweep 'huge' has 18000000 trials, more than --max-trials 100000 (estimated cost: about ")
                .contains("task-hours").endsWith("pass --max-trials 18000000 to run it anyway").doesNotContain("\n");
        assertThat(outDir).doesNotExist();
        assertThat(org.apache.spark.sql.SparkSession.getDefaultSession().isEmpty()).as("no Spark session was started").isTrue();

        // the limit is the user's: --max-trials lowers it as well as raising it
        err.getBuffer().setLength(0);
        assertThat(run("sweep", "--grid", "conf/grids/quick.yaml", "--out", outDir.toString(), "--max-trials", "10"))
                .isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("sweep 'quick' has 24 trials, more than --max-trials 10").contains("--max-trials 24");
        err.getBuffer().setLength(0);
        assertThat(run("sweep", "--grid", "conf/grids/quick.yaml", "--max-trials", "0")).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString().strip()).isEqualTo("gradflow: --max-trials 0 is not allowed; it must be at least 1");
    }
}
