package io.gradflow.trial;

import java.io.Serializable;

/**
 * One point of a trial's learning curve.
 *
 * @param trialId      the trial
 * @param step         the training step
 * @param trainLoss    the minibatch loss of the step (before its update)
 * @param testLoss     test-set loss at the step's weights, at sampled steps only (NaN otherwise)
 * @param testAccuracy test-set accuracy at sampled steps only (NaN otherwise)
 */
public record CurvePoint(String trialId, int step, double trainLoss, double testLoss, double testAccuracy)
        implements Serializable {
}
