package io.gradflow.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** {@code gradflow theory}: the printed prediction and the exit codes. */
class TheoryCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void reluXavierLosesHalfOfTheSquaredNormPerBlock() {
        assertThat(run("theory", "--activation", "relu", "--init", "xavier", "--depth", "50", "--width", "256", "--inputs", "256"))
                .isEqualTo(Main.OK);
        assertThat(out.toString())
                .contains("σw² = 1.00000 (hidden blocks)")
                .contains("χ = 0.500000")
                .contains("flow_log10 = log10(‖δ_1‖/‖δ_50‖) = -7.3752")
                .contains("...");
        assertThat(out.toString().lines().filter(l -> l.matches("\\s*\\d+ .*")).count()).isEqualTo(10);
    }

    @Test
    void sigmoidXavierOnSpirals() {
        assertThat(run("theory", "--activation", "sigmoid", "--init", "xavier", "--depth", "10")).isEqualTo(Main.OK);
        // Xavier projection from the 2 spiral features to 64 units: σw² = 4/66.
        assertThat(out.toString()).contains("0.0606061 (input projection)").contains("flow_log10 = log10(‖δ_1‖/‖δ_10‖) = -5.6");
        assertThat(out.toString().lines().filter(l -> l.matches("\\s*\\d+ .*")).count()).isEqualTo(10);
    }

    @Test
    void badValuesAreExitCodeTwoNamingTheValue() {
        assertThat(run("theory", "--activation", "relu6", "--init", "he", "--depth", "3")).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("activation 'relu6' is not supported; choose one of sigmoid, tanh, relu")
                .doesNotContain("IllegalArgumentException");
        assertThat(run("theory", "--activation", "relu", "--init", "he", "--depth", "0")).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("--depth 0 is not allowed");
        assertThat(run("theory", "--activation", "relu", "--init", "he")).isEqualTo(Main.BAD_INPUT);
    }

    @Test
    void tanhWithNormalOneOnWideLayersPredictsInsteadOfHanging() {
        // normal(1.0) at width 256 with 64 inputs: block 1 sees q = 256 · 64 = 16384, where the quadrature once spun.
        for (String inputs : new String[]{"32", "64"}) {
            out.getBuffer().setLength(0);
            int code = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> run("theory", "--activation", "tanh",
                    "--init", "normal(1.0)", "--depth", "10", "--width", "256", "--inputs", inputs));
            assertThat(code).as("exit code, stderr: %s", err).isEqualTo(Main.OK);
            assertThat(out.toString()).contains("flow_log10 = log10(‖δ_1‖/‖δ_10‖) = ")
                    .contains(inputs.equals("64") ? "16384.0" : "8192.00");
        }
        out.getBuffer().setLength(0);
        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> run("theory", "--activation", "gelu",
                "--init", "normal(1.0)", "--depth", "10", "--width", "256", "--inputs", "64"))).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("flow_log10 = ");
    }

    @Test
    void activationAndInitAreSpelledAsInGrids() {
        // Grids accept any case (Axis.ACTIVATION lower-cases the value); theory must accept the same spellings.
        assertThat(run("theory", "--activation", "ReLU", "--init", "He", "--depth", "5")).as("stderr: %s", err).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("mean-field prediction at initialization: relu, init he, depth 5");
        out.getBuffer().setLength(0);
        assertThat(run("theory", "--activation", " LeakyReLU ", "--init", "Normal(0.1)", "--depth", "3")).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("leakyrelu, init normal(0.1)");
    }

    @Test
    void helpShowsNoDefaultForTheRequiredDepth() {
        assertThat(run("theory", "--help")).isEqualTo(Main.OK);
        String help = out.toString();
        // picocli puts "Default: …" on the option's own lines, up to the next option.
        String depthEntry = help.substring(help.indexOf("--depth=<depth>"), help.indexOf("-h, --help"));
        assertThat(depthEntry).contains("Hidden blocks.").doesNotContain("Default");
        assertThat(help).doesNotContain("Default: 0").doesNotContain("Default: null")
                .contains("Default: 64"); // optional options still show theirs
    }
}
