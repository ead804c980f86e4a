package io.gradflow.theory;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;

/**
 * A mean-field prediction for one plain network at initialization. Blocks are 1-based as everywhere in gradflow
 * (1 next to the input projection). χ values are factors of the squared norm ‖δ‖²; the norm changes by √χ.
 *
 * @param activation   hidden activation
 * @param init         initialization rule
 * @param width        units per block
 * @param inputs       input features
 * @param sigmaW2      σw² of the hidden (square) layers
 * @param sigmaW2Input σw² of the input projection
 * @param inputMoment  second moment of an input feature
 * @param q            q[l-1]: second moment of block l's pre-activation
 * @param chi          chi[l-1]: σw² E[φ'(√q_l z)²], predicted E‖δ_l‖²/E‖δ_{l+1}‖²
 */
public record Prediction(Activation activation, InitSpec init, int width, int inputs, double sigmaW2,
                         double sigmaW2Input, double inputMoment, double[] q, double[] chi) {

    public int depth() {
        return q.length;
    }

    /** Predicted log10(‖δ_l‖/‖δ_depth‖) = ½ Σ_{k=l}^{depth−1} log10 χ_k. */
    public double log10DeltaRelative(int block) {
        double s = 0;
        for (int k = block; k < depth(); k++) {
            s += Math.log10(chi[k - 1]);
        }
        return 0.5 * s;
    }

    /** Predicted flow_log10 of δ at initialization: log10(‖δ_1‖/‖δ_depth‖); 0 for one block. */
    public double flowLog10() {
        return log10DeltaRelative(1);
    }

    /**
     * The per-block factor of ‖δ‖²: the geometric mean of χ over the blocks the flow spans (1 .. depth−1), so that
     * flowLog10 = ½ (depth−1) log10 of it; χ_1 for a single block.
     */
    public double chiPerBlock() {
        if (depth() == 1) {
            return chi[0];
        }
        return Math.pow(10, 2 * flowLog10() / (depth() - 1));
    }
}
