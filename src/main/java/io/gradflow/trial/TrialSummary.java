package io.gradflow.trial;

import io.gradflow.grid.TrialConfig;

import java.io.Serializable;

/**
 * The per-trial outcome. Flows are log10(‖first block‖/‖last block‖) over hidden blocks: negative means the
 * gradient shrinks toward the input (vanishing). "init" is step 0, the gradients of the initial weights;
 * "train" is the mean over the later sampled steps. NaN means not defined (e.g. a FAILED trial) and becomes
 * null in Parquet.
 *
 * @param config             the trial's configuration
 * @param verdict            health verdict
 * @param errorMessage       for FAILED and DIVERGED: what happened (null otherwise)
 * @param errorStack         for FAILED: the truncated stack trace (null otherwise)
 * @param stepsCompleted     training steps run (less than steps for DIVERGED and FAILED)
 * @param flowUnderflow      at some sampled step the first block's ‖δ‖ or weight gradient was exactly 0 while the
 *                           last block's was positive: a flow below the representable range (its flows are NaN)
 * @param flowDeltaInit      flow of ‖δ‖ at the pre-activations, step 0
 * @param flowDeltaTrain     the same, mean over sampled steps after 0
 * @param flowDeltaOutInit   flow of ‖δ‖ in the residual stream (block outputs), step 0; NaN for plain nets
 * @param flowGradInit       flow of weight-gradient norms, step 0
 * @param flowGradTrain      the same, mean over sampled steps after 0
 * @param slopeDeltaInit     least-squares slope of log10‖δ_l‖ over the block index l, step 0
 * @param slopeDeltaTrain    the same, mean over sampled steps after 0
 * @param finalTrainLoss     loss on the whole training set after the last step
 * @param bestTrainLoss      lowest mean minibatch loss over 10 consecutive steps
 * @param testLoss           test-set loss after the last step
 * @param testAccuracy       test-set accuracy after the last step
 * @param stepsToTarget      first step whose trailing 10-step mean minibatch loss is at or below the target; -1 if never
 * @param wallTimeMs         the whole trial: build, training, statistics, evaluation
 * @param trainTimeMs        time in DL4J's fit, less the statistics recorded inside it
 * @param statsTimeMs        time recording statistics and evaluating at sampled steps
 * @param provenance         versions, host, executor, start time
 * @param theoryChi          mean-field per-block factor of ‖δ‖² at init (geometric mean); NaN for BN or residual nets
 * @param theoryFlowDeltaInit mean-field prediction of flowDeltaInit; NaN for BN or residual nets
 * @param flowDeltaOutTrain  flow of ‖δ‖ in the residual stream, mean over sampled steps after 0; NaN for plain nets
 * @param clippedShare       share of the steps run whose gradient the clipping rule changed (0 without clipping)
 * @param averagingTimeMs    data-parallel trials: time DL4J Spark spent outside the workers' fit (broadcast,
 *                           scheduling, aggregation and averaging of parameters), from its SparkTrainingStats; 0 for
 *                           task trials
 * @param stoppedAtStep      the sampled step at which {@code health.stop_early} stopped the trial (steps 0 to it ran);
 *                           null when it ran to the end, diverged, failed, or stopping was off
 * @param pretrainTimeMs     wall time of the greedy layer-wise pretraining before step 0 (0 without it)
 * @param pretrainLoss       mean over blocks of each block's final reconstruction MSE on the training set; NaN without
 */
public record TrialSummary(TrialConfig config, Verdict verdict, String errorMessage, String errorStack,
                           int stepsCompleted, boolean flowUnderflow, double flowDeltaInit, double flowDeltaTrain,
                           double flowDeltaOutInit, double flowGradInit, double flowGradTrain, double slopeDeltaInit, double slopeDeltaTrain,
                           double finalTrainLoss, double bestTrainLoss, double testLoss, double testAccuracy,
                           int stepsToTarget, long wallTimeMs, long trainTimeMs, long statsTimeMs,
                           Provenance provenance, double theoryChi, double theoryFlowDeltaInit,
                           double flowDeltaOutTrain, double clippedShare, long averagingTimeMs,
                           Integer stoppedAtStep, long pretrainTimeMs, double pretrainLoss) implements Serializable {

    /** A task trial's summary: no averaging, no early stop, no pretraining. */
    public TrialSummary(TrialConfig config, Verdict verdict, String errorMessage, String errorStack,
                        int stepsCompleted, boolean flowUnderflow, double flowDeltaInit, double flowDeltaTrain,
                        double flowDeltaOutInit, double flowGradInit, double flowGradTrain, double slopeDeltaInit,
                        double slopeDeltaTrain, double finalTrainLoss, double bestTrainLoss, double testLoss,
                        double testAccuracy, int stepsToTarget, long wallTimeMs, long trainTimeMs, long statsTimeMs,
                        Provenance provenance, double theoryChi, double theoryFlowDeltaInit,
                        double flowDeltaOutTrain, double clippedShare) {
        this(config, verdict, errorMessage, errorStack, stepsCompleted, flowUnderflow, flowDeltaInit, flowDeltaTrain,
                flowDeltaOutInit, flowGradInit, flowGradTrain, slopeDeltaInit, slopeDeltaTrain, finalTrainLoss,
                bestTrainLoss, testLoss, testAccuracy, stepsToTarget, wallTimeMs, trainTimeMs, statsTimeMs, provenance,
                theoryChi, theoryFlowDeltaInit, flowDeltaOutTrain, clippedShare, 0L, null, 0L, Double.NaN);
    }

    /** A data-parallel trial's summary: no early stop, no pretraining. */
    public TrialSummary(TrialConfig config, Verdict verdict, String errorMessage, String errorStack,
                        int stepsCompleted, boolean flowUnderflow, double flowDeltaInit, double flowDeltaTrain,
                        double flowDeltaOutInit, double flowGradInit, double flowGradTrain, double slopeDeltaInit,
                        double slopeDeltaTrain, double finalTrainLoss, double bestTrainLoss, double testLoss,
                        double testAccuracy, int stepsToTarget, long wallTimeMs, long trainTimeMs, long statsTimeMs,
                        Provenance provenance, double theoryChi, double theoryFlowDeltaInit,
                        double flowDeltaOutTrain, double clippedShare, long averagingTimeMs) {
        this(config, verdict, errorMessage, errorStack, stepsCompleted, flowUnderflow, flowDeltaInit, flowDeltaTrain,
                flowDeltaOutInit, flowGradInit, flowGradTrain, slopeDeltaInit, slopeDeltaTrain, finalTrainLoss,
                bestTrainLoss, testLoss, testAccuracy, stepsToTarget, wallTimeMs, trainTimeMs, statsTimeMs, provenance,
                theoryChi, theoryFlowDeltaInit, flowDeltaOutTrain, clippedShare, averagingTimeMs, null, 0L, Double.NaN);
    }

    /** A task trial's summary with its early stop and pretraining. */
    public TrialSummary(TrialConfig config, Verdict verdict, String errorMessage, String errorStack,
                        int stepsCompleted, boolean flowUnderflow, double flowDeltaInit, double flowDeltaTrain,
                        double flowDeltaOutInit, double flowGradInit, double flowGradTrain, double slopeDeltaInit,
                        double slopeDeltaTrain, double finalTrainLoss, double bestTrainLoss, double testLoss,
                        double testAccuracy, int stepsToTarget, long wallTimeMs, long trainTimeMs, long statsTimeMs,
                        Provenance provenance, double theoryChi, double theoryFlowDeltaInit,
                        double flowDeltaOutTrain, double clippedShare, Integer stoppedAtStep,
                        long pretrainTimeMs, double pretrainLoss) {
        this(config, verdict, errorMessage, errorStack, stepsCompleted, flowUnderflow, flowDeltaInit, flowDeltaTrain,
                flowDeltaOutInit, flowGradInit, flowGradTrain, slopeDeltaInit, slopeDeltaTrain, finalTrainLoss,
                bestTrainLoss, testLoss, testAccuracy, stepsToTarget, wallTimeMs, trainTimeMs, statsTimeMs, provenance,
                theoryChi, theoryFlowDeltaInit, flowDeltaOutTrain, clippedShare, 0L, stoppedAtStep, pretrainTimeMs, pretrainLoss);
    }
}
