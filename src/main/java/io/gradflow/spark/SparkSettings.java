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

    /**
     * The executors' JVM options where neither the user nor {@code conf/spark-defaults.conf} (which has the same line)
     * set them: the Vector API module for the activations' exponentials ({@code model/FastExp}: same results
     * without it, slower); no JavaCPP physical-memory check on every native allocation (6–29% of a small network's
     * step); the collection gradflow requests after each trial made concurrent, and unused heap returned; and, for
     * data-parallel trials, DL4J Spark's clock from the system instead of an NTP server (see
     * {@code io.gradflow.dp.DataParallelTrial#useSystemClock}; the driver sets that property itself).
     */
    public static final String EXECUTOR_JAVA_OPTIONS = "--add-modules=jdk.incubator.vector "
            + "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -XX:+ExplicitGCInvokesConcurrent -XX:MinHeapFreeRatio=10 "
            + "-XX:MaxHeapFreeRatio=30 -Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource";

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
        m.put("spark.executor.extraJavaOptions", EXECUTOR_JAVA_OPTIONS);
        // Each executor chooses OpenBLAS's kernels for its own CPU before a task loads ND4J (trial/OpenBlasCore).
        m.put("spark.plugins", GradflowExecutorPlugin.class.getName());
        return m;
    }

    /** The master when neither {@code --master} nor {@code spark.master} (spark-submit) says otherwise. */
    public static final String DEFAULT_MASTER = "local[*]";
}
