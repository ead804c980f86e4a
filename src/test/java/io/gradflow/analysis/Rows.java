package io.gradflow.analysis;

import java.util.LinkedHashMap;
import java.util.Map;

/** Hand-made trial rows for the analysis tests. */
final class Rows {

    private Rows() {
    }

    static Map<String, Object> settings(String activation, String init, boolean bn, boolean res, int depth) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("activation", activation);
        s.put("init", init);
        s.put("batchnorm", bn);
        s.put("residual", res);
        s.put("depth", depth);
        s.put("width", 16);
        s.put("steps", 50);
        s.put("batch_size", 32);
        s.put("optimizer", "sgd");
        s.put("learning_rate", 0.05);
        s.put("dtype", "float");
        return s;
    }

    /** A trial whose outcomes are all {@code flow} except test accuracy {@code acc} and final loss {@code loss}. */
    static TrialRow trial(Map<String, Object> settings, long seed, String verdict, double flow, double acc, double loss) {
        double[] o = new double[Outcome.values().length];
        java.util.Arrays.fill(o, flow);
        o[Outcome.TEST_ACCURACY.ordinal()] = acc;
        o[Outcome.FINAL_TRAIN_LOSS.ordinal()] = loss;
        o[Outcome.STEPS_TO_TARGET.ordinal()] = Double.NaN;
        String comb = Integer.toHexString(settings.toString().hashCode());
        return new TrialRow(comb + "-" + seed, comb, settings, seed, verdict, verdict.equals("FAILED") ? "boom" : null,
                null, o, 1000);
    }
}
