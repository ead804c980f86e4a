package io.gradflow.trial;

import io.gradflow.model.ModelFiles;

import java.io.Serializable;
import java.util.Set;

/**
 * What a trial needs to know about where it runs, filled in by the caller (the Spark task or a test).
 *
 * @param sparkVersion Spark version of the executor, or "none"
 * @param executorId   Spark executor id, or "none"
 * @param injectFail   trial ids that must fail on purpose ("all" fails every trial): the fault-injection hook
 *                     behind {@code spark.gradflow.inject.fail}, used by tests of failure handling
 * @param statistics   false trains without the gradient-flow statistics (no probes, no listener, no
 *                     {@code layer_stats} rows) but still evaluates the test set at the sampled steps for the
 *                     curves: the baseline of the benchmark that measures the statistics' overhead
 * @param models       where warm starts read their models and finished trials write theirs
 *                     ({@code outputs: {models: true}}); null where neither is used
 */
public record RunOptions(String sparkVersion, String executorId, Set<String> injectFail, boolean statistics,
                         ModelFiles models) implements Serializable {

    public RunOptions {
        injectFail = Set.copyOf(injectFail);
    }

    public RunOptions(String sparkVersion, String executorId, Set<String> injectFail) {
        this(sparkVersion, executorId, injectFail, true, null);
    }

    public RunOptions(String sparkVersion, String executorId, Set<String> injectFail, boolean statistics) {
        this(sparkVersion, executorId, injectFail, statistics, null);
    }

    /** The same options with model files read from and written to {@code files}. */
    public RunOptions withModels(ModelFiles files) {
        return new RunOptions(sparkVersion, executorId, injectFail, statistics, files);
    }

    public static RunOptions standalone() {
        return new RunOptions("none", "none", Set.of());
    }

    /** The same options without statistics. */
    public RunOptions withoutStatistics() {
        return new RunOptions(sparkVersion, executorId, injectFail, false, models);
    }

    boolean mustFail(String trialId) {
        return injectFail.contains("all") || injectFail.contains(trialId);
    }
}
