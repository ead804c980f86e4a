package io.gradflow.cli;

import io.gradflow.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** The Spark options every command that starts Spark shares ({@code --master}, {@code --conf}): a picocli mixin. */
public final class SparkOptions {

    @Option(names = "--master", description = "Spark master URL. Default: spark.master from spark-submit, else local[*].")
    String master;

    @Option(names = "--conf", description = "A Spark setting k=v, passed through unchanged (repeatable).")
    Map<String, String> conf = new LinkedHashMap<>();

    /** The session these options describe (the active one when a caller already started it). */
    SparkSession session(String appName) {
        return SparkSessions.create(master, conf, appName);
    }
}
