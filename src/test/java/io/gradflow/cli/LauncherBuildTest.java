package io.gradflow.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher builds through {@code scripts/mvn-quiet.sh}; Maven 3.8 prints ANSI resets even with {@code -B -q},
 * and they must not reach the launcher's output. Runs the real Maven (offline, the cheap {@code validate} phase).
 */
class LauncherBuildTest {

    @Test
    void theQuietBuildPrintsNoAnsiEscapeCodes() throws Exception {
        Process p = new ProcessBuilder("scripts/mvn-quiet.sh", "-o", "validate").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).doesNotContain("\u001b");
    }

    @Test
    void theLauncherBuildsThroughTheQuietScript() throws Exception {
        String launcher = java.nio.file.Files.readString(java.nio.file.Path.of("bin/gradflow"));
        assertThat(launcher).contains("scripts/mvn-quiet.sh\" -DskipTests").doesNotContain("&& mvn ");
    }
}
