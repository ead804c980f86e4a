package io.gradflow.spark;

import io.gradflow.data.Dataset;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import io.gradflow.trial.Versions;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.Set;

/**
 * The body of one Spark task: one partition holds one trial, which trains on the executor against the
 * broadcast dataset. The runner never throws for a trial's own failure, so a task fails only for
 * infrastructure reasons, which Spark retries.
 */
final class TrialTask extends AbstractFunction1<Iterator<TrialConfig>, TrialResult> implements Serializable {

    private final Broadcast<Dataset> data;
    private final Set<String> injectFail;
    private final Set<String> injectCrash;

    TrialTask(Broadcast<Dataset> data, Set<String> injectFail, Set<String> injectCrash) {
        this.data = data;
        this.injectFail = Set.copyOf(injectFail);
        this.injectCrash = Set.copyOf(injectCrash);
    }

    @Override
    public TrialResult apply(Iterator<TrialConfig> it) {
        TrialConfig c = it.next();
        if (it.hasNext()) {
            throw new IllegalStateException("a gradflow partition must hold exactly one trial");
        }
        if (injectCrash.contains("all") || injectCrash.contains(c.trialId())) {
            // Fault injection: an infrastructure failure outside the trial, which Spark (not gradflow) handles.
            throw new IllegalStateException("task for trial " + c.trialId() + " crashed on purpose (fault injection: "
                    + SweepJob.INJECT_CRASH_CONF + ")");
        }
        SparkEnv env = SparkEnv.get();
        String executor = env != null ? env.executorId() : "none";
        RunOptions opts = new RunOptions(sparkVersion(), executor, injectFail);
        return TrialRunner.run(c, data.value(), opts);
    }

    private static String sparkVersion() {
        try {
            return org.apache.spark.package$.MODULE$.SPARK_VERSION();
        } catch (RuntimeException | LinkageError e) {
            return Versions.sparkBuilt();
        }
    }
}
