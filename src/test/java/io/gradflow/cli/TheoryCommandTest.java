package io.gradflow.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(err.toString()).contains("relu6");
        assertThat(run("theory", "--activation", "relu", "--init", "he", "--depth", "0")).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).contains("--depth 0 is not allowed");
        assertThat(run("theory", "--activation", "relu", "--init", "he")).isEqualTo(Main.BAD_INPUT);
    }
}
