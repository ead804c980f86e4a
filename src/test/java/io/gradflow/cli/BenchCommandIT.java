package io.gradflow.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark harness's smoke test: a tiny configuration must produce every figure, and where PyTorch is
 * installed the PyTorch comparison's tables too (otherwise the one line that says why it was skipped). No timing
 * assertions.
 */
class BenchCommandIT {

    @TempDir
    Path tmp;

    @Test
    void quickBenchProducesEveryFigure() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("bench", "--quick", "--work", tmp.toString());
        assertThat(code).as(err.toString()).isEqualTo(Main.OK);
        String md = out.toString();
        assertThat(number(md, "\\*\\*SGEMM, one thread, 128×128 float:\\*\\* ([0-9.]+) GFLOP/s")).isPositive();
        assertThat(number(md, "GFLOP/s for two together: ([0-9.]+)×")).isPositive();
        // one row per shape: plain, bn and residual
        for (String kind : new String[]{"plain", "bn", "residual"}) {
            assertThat(number(md, "\\| 16 \\| 2 \\| " + kind + " \\| ([0-9.]+) \\|")).isPositive();
        }
        assertThat(md).containsPattern("overhead -?[0-9.]+%; time inside the statistics code -?[0-9.]+% of training");
        assertThat(number(md, "\\| local\\[1\\] \\| 4 \\| 1 \\| ([0-9.]+) \\|")).isPositive();
        assertThat(number(md, "\\| local\\[2\\] \\| 4 \\| 2 \\| ([0-9.]+) \\|")).isPositive();
        assertThat(md).containsPattern("scheduling efficiency").containsPattern("\\| [0-9.]+% \\|");
        assertThat(number(md, "\\*\\*local\\[2\\] vs local\\[1\\]:\\*\\* ([0-9.]+)×")).isPositive();
        assertThat(number(md, "throughput \\(([0-9]+)% of the [0-9.]+× that two SGEMM threads")).isPositive();
        assertThat(number(md, "\\*\\*Peak resident memory of this JVM:\\*\\* ([0-9]+) MiB")).isPositive();
        if (md.contains("**PyTorch reference:** skipped")) {
            // One line says why, and no comparison is attempted.
            System.out.println("[BenchCommandIT] the PyTorch comparison was skipped: "
                    + md.lines().filter(l -> l.contains("PyTorch reference")).findFirst().orElse(""));
            assertThat(md.lines().filter(l -> l.contains("PyTorch"))).hasSize(1);
        } else {
            assertThat(md).containsPattern("\\*\\*PyTorch reference:\\*\\* torch [0-9.]+\\S*, Python 3\\.[0-9.]+, 1 thread, BLAS ");
            for (String kind : new String[]{"plain", "bn", "residual"}) {
                // gradflow ms, PyTorch ms, ratio
                assertThat(number(md, "\\| 16 \\| 2 \\| " + kind + " \\| [0-9.]+ \\| [0-9.]+ \\| ([0-9.]+)× \\| [0-9.]+ \\|")).isPositive();
            }
            // both sides run the same OpenBLAS kernels (trial/OpenBlasCore, BenchCommand.sameKernels)
            Matcher k = Pattern.compile("\\*\\*OpenBLAS kernels:\\*\\* gradflow (\\S+) \\(.*\\); PyTorch (.+)\\.").matcher(md);
            assertThat(k.find()).as(md).isTrue();
            if (!k.group(1).equals("unknown")) {
                assertThat(k.group(2).split(", ")).as(k.group()).allSatisfy(c -> assertThat(c).isEqualToIgnoringCase(k.group(1)));
            }
            assertThat(number(md, "\\| gradflow local\\[1\\] \\| 4 \\| ([0-9.]+) \\|")).isPositive();
            assertThat(number(md, "\\| PyTorch loop \\| 4 \\| ([0-9.]+) \\|")).isPositive();
            assertThat(number(md, "\\*\\*Whole grid, gradflow / PyTorch:\\*\\* ([0-9.]+)×")).isPositive();
            // the smoke grid's two activations, two trials each, side by side
            for (String a : new String[]{"relu", "sigmoid"}) {
                assertThat(number(md, "\\| " + a + " \\| 2 \\| [0-9.]+ \\| [0-9.]+ \\| ([0-9.]+)× \\|")).isPositive();
            }
            // 4 trials × (log2 schedule of 30 steps: 0 1 2 4 8 16 29) × 6 blocks
            assertThat(number(md, "; ([0-9]+) per-block statistic rows in PyTorch")).isEqualTo(4 * 7 * 6);
        }
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("figure matching %s in:%n%s", regex, text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
