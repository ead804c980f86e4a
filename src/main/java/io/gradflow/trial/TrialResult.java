package io.gradflow.trial;

import java.io.Serializable;
import java.util.List;

/**
 * Everything one Spark task sends back: the summary row, the per-block rows and the curve rows.
 *
 * @param summary    the trial's row of {@code trials}
 * @param layerStats rows of {@code layer_stats}: one per sampled step and block
 * @param curve      rows of {@code curves}
 */
public record TrialResult(TrialSummary summary, List<LayerStat> layerStats, List<CurvePoint> curve)
        implements Serializable {

    public TrialResult {
        layerStats = List.copyOf(layerStats);
        curve = List.copyOf(curve);
    }

    public String trialId() {
        return summary.config().trialId();
    }
}
