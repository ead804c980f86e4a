package io.gradflow.trial;

import java.io.Serializable;

/**
 * The statistics of one hidden block at one sampled step. Norms are Euclidean norms (not squared). NaN means
 * not defined for this block (e.g. deltaOut of a plain block, deadFraction of sigmoid) and becomes null in
 * Parquet.
 *
 * @param trialId       the trial
 * @param step          the sampled step (0 = gradients of the initial weights)
 * @param block         hidden block, 1 (next to the input) .. depth (next to the output)
 * @param deltaPre      ‖δ‖ at the block's pre-activation, δ = ∂(mean minibatch loss)/∂(pre-activation)
 * @param deltaOut      ‖δ‖ at the block's output (the residual stream) for residual blocks
 * @param gradNorm      ‖∂loss/∂W‖ of the block's Dense weights, before the updater
 * @param gradMeanAbs   mean |g| over the weight gradient's entries
 * @param gradMaxAbs    max |g|
 * @param gradNonFinite number of NaN or infinite gradient entries
 * @param weightNorm    ‖W‖ before the step's update
 * @param updateRatio   ‖ΔW‖/‖W‖ of the step's update
 * @param actMean       mean of the block's activation output over the minibatch
 * @param actStd        standard deviation of the same
 * @param actSaturated  saturated share (sigmoid/tanh/softsign only)
 * @param actDead       share of units at or below zero for the whole minibatch (ReLU family only)
 */
public record LayerStat(String trialId, int step, int block, double deltaPre, double deltaOut, double gradNorm,
                        double gradMeanAbs, double gradMaxAbs, long gradNonFinite, double weightNorm,
                        double updateRatio, double actMean, double actStd, double actSaturated,
                        double actDead) implements Serializable {
}
