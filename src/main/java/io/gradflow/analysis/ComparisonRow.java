package io.gradflow.analysis;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One remedy combination (every axis but the seed) aggregated over its seeds.
 *
 * @param combinationId   the {@code combination_id} of its trials
 * @param label           the varied axes' values, e.g. {@code activation=sigmoid, batchnorm=true}
 * @param settings        every setting as in {@code trials}
 * @param nSeeds          trials (seeds) of the combination
 * @param nFailed         FAILED trials among them
 * @param nDiverged       DIVERGED trials among them
 * @param estimates       mean, sd and 95% CI over the seeds of each outcome
 * @param majorityVerdict the most common verdict; a tie goes to the worse verdict
 * @param rank            1 = best, see {@link Comparison#RANKING_RULE}
 */
public record ComparisonRow(String combinationId, String label, Map<String, Object> settings, int nSeeds, int nFailed,
                            int nDiverged, Map<Outcome, Estimate> estimates, String majorityVerdict, int rank) {

    public ComparisonRow {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        estimates = Collections.unmodifiableMap(new EnumMap<>(estimates));
    }

    public Estimate estimate(Outcome o) {
        return estimates.getOrDefault(o, Estimate.EMPTY);
    }

    ComparisonRow withRank(int r) {
        return new ComparisonRow(combinationId, label, settings, nSeeds, nFailed, nDiverged, estimates, majorityVerdict, r);
    }
}
