package io.gradflow.store;

import io.gradflow.trial.Verdict;

import java.io.Serializable;

/**
 * What the driver learns about one trial once its rows are committed: enough for progress, the scheduler and the
 * manifest, and nothing else (the rows themselves stay in the part file).
 *
 * @param trialId       the trial
 * @param verdict       its health verdict
 * @param estimatedCost the cost model's multiply-adds (progress weighs its ETA by them)
 * @param wallTimeMs    the trial's wall time on its executor
 * @param executorId    Spark's executor id
 */
public record TrialReceipt(String trialId, Verdict verdict, double estimatedCost, long wallTimeMs, String executorId)
        implements Serializable {
}
