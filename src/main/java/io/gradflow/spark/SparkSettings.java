package io.gradflow.spark;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Spark settings every gradflow session needs, applied under the user's own {@code --conf} values only where
 * the user did not set them. Parallelism itself needs no setting: one task per trial, one core per task.
 */
public final class SparkSettings {

    private SparkSettings() {
    }

    /** Settings gradflow depends on, with the reason for each. */
    public static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        // Kryo with our registrator (chaining ND4J's serializers), as DL4J on Spark expects.
        m.put("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        m.put("spark.kryo.registrator", GradflowKryoRegistrator.class.getName());
        // One OpenMP thread per task: two threads per task on two cores made trials 27× slower.
        m.put("spark.executorEnv.OMP_NUM_THREADS", "1");
        m.put("spark.task.cpus", "1");
        // A failed trial is data, not a task failure; retries are for lost executors only.
        m.put("spark.task.maxFailures", "4");
        m.put("spark.ui.showConsoleProgress", "false");
        // Data-parallel trials: DL4J Spark's worker statistics would otherwise query an NTP server (see
        // io.gradflow.dp.DataParallelTrial#useSystemClock; the driver sets the property itself).
        m.put("spark.executor.extraJavaOptions", "-Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource");
        return m;
    }

    /** The master when neither {@code --master} nor {@code spark.master} (spark-submit) says otherwise. */
    public static final String DEFAULT_MASTER = "local[*]";
}
