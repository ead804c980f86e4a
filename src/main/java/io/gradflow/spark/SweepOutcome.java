package io.gradflow.spark;

import io.gradflow.trial.Verdict;

import java.util.List;
import java.util.Map;

/**
 * What a sweep did.
 *
 * @param directory  the sweep folder
 * @param trials     trials in the grid
 * @param rows       trials with a row in {@code trials}
 * @param byVerdict  rows per verdict
 * @param error      why the sweep could not complete, or null
 * @param wallMillis driver wall time
 * @param ran        trials run by this invocation (0 when a resumed sweep was already complete)
 * @param summary    the analysis' terminal summary (top combinations, largest effects), or null when the sweep
 *                   is incomplete or nothing ran
 * @param analysisError why comparison, effects or the report could not be built, or null
 * @param repaired   what a resume rebuilt without running a trial (datasets rewritten from the journal, a missing
 *                   analysis), each with the reason; empty when nothing was missing
 * @param interrupted true when a signal stopped the sweep; the journal keeps every trial that finished
 */
public record SweepOutcome(String directory, int trials, int rows, Map<Verdict, Integer> byVerdict, String error,
                           long wallMillis, int ran, String summary, String analysisError, List<String> repaired,
                           boolean interrupted) {

    public SweepOutcome {
        repaired = List.copyOf(repaired);
    }

    public SweepOutcome(String directory, int trials, int rows, Map<Verdict, Integer> byVerdict, String error,
                        long wallMillis, int ran, String summary, String analysisError) {
        this(directory, trials, rows, byVerdict, error, wallMillis, ran, summary, analysisError, List.of(), false);
    }

    /** True when every trial has its row (FAILED and DIVERGED rows count). */
    public boolean complete() {
        return error == null && rows == trials && !interrupted;
    }

    public int count(Verdict v) {
        return byVerdict.getOrDefault(v, 0);
    }
}
