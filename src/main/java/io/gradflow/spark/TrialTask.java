package io.gradflow.spark;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.ModelFiles;
import io.gradflow.store.Parts;
import io.gradflow.store.ResultSink;
import io.gradflow.store.TrialReceipt;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import io.gradflow.trial.Versions;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The body of one Spark task: one partition holds one {@link Batch} of trials, named by their raw grid indices.
 * The task rebuilds each trial from the broadcast grid, trains it on the executor against the broadcast dataset,
 * commits all the batch's rows as one part of the journal ({@link Parts}) and returns only their receipts. The
 * runner never throws for a trial's own failure, so a task fails only for infrastructure reasons, which Spark
 * retries; a retry after the commit writes a second part, resolved by trial id when the datasets are written.
 */
final class TrialTask extends AbstractFunction1<Iterator<TrialTask.Batch>, ArrayList<TrialReceipt>> implements Serializable {

    /**
     * The trials of one task.
     *
     * @param number     the task's position in the plan (names its part)
     * @param rawIndices the trials' raw indices in the grid ({@link Grid#at})
     */
    record Batch(int number, long[] rawIndices) implements Serializable {
    }

    private final Broadcast<Dataset> data;
    private final Broadcast<GridSpec> grid;
    private final String partsDir;
    private final Parts.Conf conf;
    private final Set<String> injectFail;
    private final Set<String> injectCrash;
    private final Set<String> injectCrashAfterCommit;
    private final ModelFiles models;

    TrialTask(Broadcast<Dataset> data, Broadcast<GridSpec> grid, String partsDir, Parts.Conf conf,
              Set<String> injectFail, Set<String> injectCrash, Set<String> injectCrashAfterCommit, ModelFiles models) {
        this.models = models;
        this.data = data;
        this.grid = grid;
        this.partsDir = partsDir;
        this.conf = conf;
        this.injectFail = Set.copyOf(injectFail);
        this.injectCrash = Set.copyOf(injectCrash);
        this.injectCrashAfterCommit = Set.copyOf(injectCrashAfterCommit);
    }

    @Override
    public ArrayList<TrialReceipt> apply(Iterator<Batch> it) {
        Batch b = it.next();
        if (it.hasNext()) {
            throw new IllegalStateException("a gradflow partition must hold exactly one batch of trials");
        }
        GridSpec spec = grid.value();
        List<TrialConfig> configs = new ArrayList<>(b.rawIndices().length);
        for (long raw : b.rawIndices()) {
            configs.add(Grid.at(spec, raw));
        }
        for (TrialConfig c : configs) {
            if (injectCrash.contains("all") || injectCrash.contains(c.trialId())) {
                // Fault injection: an infrastructure failure outside the trial, which Spark (not gradflow) handles.
                throw new IllegalStateException("task for trial " + c.trialId() + " crashed on purpose (fault injection: "
                        + SweepJob.INJECT_CRASH_CONF + ")");
            }
        }
        SparkEnv env = SparkEnv.get();
        String executor = env != null ? env.executorId() : "none";
        RunOptions opts = new RunOptions(sparkVersion(), executor, injectFail).withModels(models);
        List<TrialResult> results = new ArrayList<>(configs.size());
        for (TrialConfig c : configs) {
            results.add(TrialRunner.run(c, data.value(), opts));
        }
        TaskContext tc = TaskContext.get();
        int attempt = tc != null ? tc.attemptNumber() : 0;
        String tag = String.format("%05d-%s-a%d-%08x", b.number(), configs.get(0).trialId(), attempt,
                ThreadLocalRandom.current().nextInt());
        ResultSink sink = Parts.sink(spec.name(), partsDir, conf, tag);
        ArrayList<TrialReceipt> receipts = new ArrayList<>(sink.commit(results));
        if (attempt == 0 && configs.stream().anyMatch(c -> injectCrashAfterCommit.contains("all")
                || injectCrashAfterCommit.contains(c.trialId()))) {
            // Fault injection: the part is committed but the task dies before Spark learns it succeeded.
            throw new IllegalStateException("task " + b.number() + " crashed on purpose after committing its part "
                    + "(fault injection: " + SweepJob.INJECT_CRASH_AFTER_COMMIT_CONF + ")");
        }
        return receipts;
    }

    private static String sparkVersion() {
        try {
            return org.apache.spark.package$.MODULE$.SPARK_VERSION();
        } catch (RuntimeException | LinkageError e) {
            return Versions.sparkBuilt();
        }
    }
}
