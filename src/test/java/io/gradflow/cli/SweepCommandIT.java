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
        assertThat(out.toString()).contains("2 of 2 trials have a row").contains("results: " + tmp.resolve("out/cli"))
                .contains("activation").contains("tanh").contains("relu");
        assertThat(tmp.resolve("out/cli/trials")).isDirectory();
        assertThat(tmp.resolve("out/cli/manifest.json")).isRegularFile();
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
                + "' already exists; pass --overwrite to replace it or choose another --out");
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
}
