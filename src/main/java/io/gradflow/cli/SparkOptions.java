package io.gradflow.cli;

import io.gradflow.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** The Spark options every command that starts Spark shares ({@code --master}, {@code --conf}): a picocli mixin. */
public final class SparkOptions {

    @Option(names = "--master", description = "Spark master URL. Default: spark.master from spark-submit, else local[*].")
    String master;

    @Option(names = "--conf", description = "A Spark setting k=v, passed through unchanged (repeatable).")
    Map<String, String> conf = new LinkedHashMap<>();

    /**
     * Runs {@code body} with the session these options describe, and stops the session afterwards only if this
     * call started it: a caller (a test, a notebook) that already has a session keeps it.
     */
    <T> T withSession(String appName, Function<SparkSession, T> body) {
        boolean owned = SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = SparkSessions.create(master, conf, appName);
        try {
            return body.apply(spark);
        } finally {
            if (owned) {
                spark.stop();
            }
        }
    }
}
