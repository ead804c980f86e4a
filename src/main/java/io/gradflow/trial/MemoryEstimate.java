package io.gradflow.trial;

import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.TrialConfig;

/**
 * A deliberately generous estimate of the off-heap (ND4J) memory one trial needs, so that a trial too large for
 * its executor becomes a FAILED row with the numbers instead of an executor killed by the operating system.
 */
public final class MemoryEstimate {

    /** Workspaces keep spare room and a few arrays alive twice; 1.5 covers what was seen. */
    static final double SLACK = 1.5;

    private MemoryEstimate() {
    }

    public static long bytes(TrialConfig c, int features, int classes, int trainSize, int testSize) {
        double b = c.dtype() == Precision.DOUBLE ? 8 : 4;
        double w = c.width();
        double params = features * w + w + c.depth() * (w * w + 3 * w) + w * classes + classes;
        double updaterState = c.optimizer() == Optimizer.ADAM ? 2 : c.optimizer() == Optimizer.MOMENTUM ? 1 : 0;
        // parameters, gradients, updater state, and the copies taken on sampled steps
        double paramBytes = params * b * (3 + updaterState);
        // per block: dense output, [BN output and its saved statistics], activation output, [scaled branch],
        // [residual sum], and as many gradients on the way back
        boolean scaledBranch = c.residual() == io.gradflow.grid.Residual.SCALED || c.residual() == io.gradflow.grid.Residual.REZERO;
        double perBlock = 2 + (c.batchnorm() ? 3 : 0) + (scaledBranch ? 1 : 0) + (c.residual().hasSkip() ? 1 : 0);
        double activations = 2.0 * c.batchSize() * w * c.depth() * perBlock * b;
        // evaluation forward passes over the test set keep two activations of the widest layer at a time
        double eval = 3.0 * Math.max(testSize, trainSize) * Math.max(w, classes) * b;
        double data = (double) (trainSize + testSize) * (features + classes) * b;
        return (long) ((paramBytes + activations + eval + data) * SLACK);
    }
}
