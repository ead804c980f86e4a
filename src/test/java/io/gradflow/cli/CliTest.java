package io.gradflow.cli;

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
        assertThat(out.toString()).contains("grid 'quick': 24 trials (24 combinations × 1 seed)");
        assertThat(out.toString()).contains("trial_id").contains("activation").contains("sigmoid");
        assertThat(out.toString().lines().filter(l -> l.matches("[0-9a-f]{16} .*")).count()).isEqualTo(24);
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
}
