package io.gradflow.spark;

import io.gradflow.trial.OpenBlasCore;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

import java.util.Map;

/**
 * Prepares each executor JVM's native libraries when the executor starts, before any task can load ND4J: chooses
 * OpenBLAS's kernels for that executor's own CPU ({@link OpenBlasCore}), so that every machine of a heterogeneous
 * cluster decides for itself; and warms the part writer up on a background thread ({@code Parts.warmUp}). Set as {@code spark.plugins} by {@link SparkSettings}; no driver part.
 */
public final class GradflowExecutorPlugin implements SparkPlugin {

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                OpenBlasCore.configure();
                // The first part commit of a JVM loads the Parquet writer and Hadoop's file system (about a second,
                // then 30-70 ms per commit): done here, beside the executor's start, it is not a second of every
                // slot's first task (BENCHMARKS.md, the remedies grid's scheduling efficiency).
                Thread t = new Thread(io.gradflow.store.Parts::warmUp, "gradflow-part-writer-warm-up");
                t.setDaemon(true);
                t.start();
            }
        };
    }
}
