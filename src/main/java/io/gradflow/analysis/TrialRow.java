package io.gradflow.analysis;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The part of one {@code trials} row that the analysis uses. Missing numbers (a failed trial's flow, a target
 * never reached) are NaN.
 *
 * @param trialId        the trial
 * @param combinationId  equal for the seeds of one combination
 * @param settings       every setting that can be an axis, by its grid name (activation, init, batchnorm, ...),
 *                       with the value as in {@code trials} (String, Boolean, Integer or Double)
 * @param seed           the user's seed
 * @param verdict        HEALTHY, VANISHING, EXPLODING, DIVERGED or FAILED
 * @param errorMessage   for FAILED and DIVERGED trials, else null
 * @param errorStack     for FAILED trials, else null
 * @param outcomes       the outcome values, indexed by {@link Outcome#ordinal()}
 * @param wallTimeMs     the trial's wall time on its executor
 */
public record TrialRow(String trialId, String combinationId, Map<String, Object> settings, long seed, String verdict,
                       String errorMessage, String errorStack, double[] outcomes, long wallTimeMs, int stoppedAtStep) {

    /** A trial that was not stopped early. */
    public TrialRow(String trialId, String combinationId, Map<String, Object> settings, long seed, String verdict,
                    String errorMessage, String errorStack, double[] outcomes, long wallTimeMs) {
        this(trialId, combinationId, settings, seed, verdict, errorMessage, errorStack, outcomes, wallTimeMs, -1);
    }

    /** Whether {@code health.stop_early} stopped the trial ({@code stopped_at_step} is not null). */
    public boolean stoppedEarly() {
        return stoppedAtStep >= 0;
    }

    public TrialRow {
        Objects.requireNonNull(trialId, "trialId");
        Objects.requireNonNull(combinationId, "combinationId");
        Objects.requireNonNull(verdict, "verdict");
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        if (outcomes.length != Outcome.values().length) {
            throw new IllegalArgumentException("a trial row needs " + Outcome.values().length + " outcomes, got " + outcomes.length);
        }
        outcomes = outcomes.clone();
    }

    public double outcome(Outcome o) {
        return outcomes[o.ordinal()];
    }

    /** An axis value as text, the form used for levels, labels and strata ("true", "20", "xavier"). */
    public String level(String axis) {
        Object v = settings.get(axis);
        if (v == null) {
            throw new IllegalArgumentException("axis '" + axis + "' is not a column of trials; known: " + settings.keySet());
        }
        return String.valueOf(v);
    }
}
