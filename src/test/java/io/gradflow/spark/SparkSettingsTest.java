package io.gradflow.spark;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The executor JVM options stand in two places: {@code conf/spark-defaults.conf} (for {@code spark-submit} with the
 * project's configuration) and {@link SparkSettings#EXECUTOR_JAVA_OPTIONS} (gradflow's own default, for users who
 * submit without that file). They must not drift apart.
 */
class SparkSettingsTest {

    @Test
    void sparkDefaultsConfGivesExecutorsGradflowsOwnOptions() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("conf/spark-defaults.conf"));
        String key = "spark.executor.extraJavaOptions";
        List<String> values = lines.stream().map(String::trim).filter(l -> l.startsWith(key + " ") || l.startsWith(key + "\t"))
                .map(l -> l.substring(key.length()).trim()).toList();
        assertThat(values).containsExactly(SparkSettings.EXECUTOR_JAVA_OPTIONS);
        assertThat(SparkSettings.defaults()).containsEntry(key, SparkSettings.EXECUTOR_JAVA_OPTIONS);
    }
}
