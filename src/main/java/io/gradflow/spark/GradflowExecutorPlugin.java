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
 * cluster decides for itself. Set as {@code spark.plugins} by {@link SparkSettings}; no driver part.
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
            }
        };
    }
}
