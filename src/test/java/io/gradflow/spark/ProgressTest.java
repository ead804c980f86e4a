package io.gradflow.spark;

import io.gradflow.trial.Verdict;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Progress lines: elapsed counts from the sweep's start, the same clock the summary and manifest use. */
class ProgressTest {

    @Test
    void elapsedCountsFromTheSweepStartNotFromTheFirstTask() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // The sweep started 65 s before the results arrive (reading data, expanding the grid); a fixed clock, so
        // the line does not depend on how fast this machine runs the test.
        long start = 1_700_000_000_000L;
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 2, 2.0, start,
                () -> start + 65_000);
        String line = p.record(1.0, Verdict.HEALTHY);
        assertThat(line).isEqualTo("[gradflow] 1/2 trials done, 0 failed, 0 diverged, elapsed 1:05, ETA 1:05");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains(line);
        assertThat(p.record(1.0, Verdict.DIVERGED)).endsWith("1 diverged, elapsed 1:05, ETA -");
    }
}
