package io.gradflow.analysis;

import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What the report and the terminal summary say about the trials themselves, without holding them: counts, the
 * values of the training settings, and the failed or diverged trials to list (at most {@link #MAX_LISTED}, worst
 * verdict first, then by trial id). {@link #of} computes it from trial rows; the analysis computes the same with
 * Spark over the {@code trials} dataset.
 *
 * @param count          trials
 * @param byVerdict      trials per verdict, every verdict of {@link Comparison#VERDICT_ORDER} present (zeros included)
 * @param seeds          distinct seeds
 * @param wallTimeMs     Σ of the trials' wall times
 * @param stopped        trials stopped early
 * @param settingValues  for each of {@link Report#TRAINING_SETTINGS}, its distinct values (sorted: numbers
 *                       ascending, text alphabetically), as text
 * @param failures       FAILED and DIVERGED trials, by verdict then trial id, at most {@link #MAX_LISTED}
 * @param failureCount   all FAILED and DIVERGED trials
 */
public record TrialSummary(long count, Map<String, Long> byVerdict, long seeds, long wallTimeMs, long stopped,
                           Map<String, List<String>> settingValues, List<TrialRow> failures, long failureCount) {

    /** The report lists this many failed or diverged trials; the rest are counted. */
    public static final int MAX_LISTED = 500;

    /** Orders the listed failures: by verdict name (DIVERGED before FAILED), then by trial id. */
    static final Comparator<TrialRow> FAILURE_ORDER = Comparator.comparing(TrialRow::verdict).thenComparing(TrialRow::trialId);

    public TrialSummary {
        Map<String, Long> v = new LinkedHashMap<>();
        Comparison.VERDICT_ORDER.forEach(k -> v.put(k, 0L));
        byVerdict.forEach((k, n) -> v.merge(k, n, Long::sum));
        byVerdict = Collections.unmodifiableMap(v);
        settingValues = Collections.unmodifiableMap(new LinkedHashMap<>(settingValues));
        failures = List.copyOf(failures);
        if (failures.size() > MAX_LISTED || failureCount < failures.size()) {
            throw new IllegalArgumentException("a trial summary lists at most " + MAX_LISTED + " of its failureCount failures; got "
                    + failures.size() + " of " + failureCount);
        }
    }

    /** The summary of these trials. */
    public static TrialSummary of(List<TrialRow> trials) {
        Map<String, Long> byVerdict = new LinkedHashMap<>();
        trials.forEach(t -> byVerdict.merge(t.verdict(), 1L, Long::sum));
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String s : Report.TRAINING_SETTINGS) {
            TreeSet<Object> set = new TreeSet<>(Analysis::compareValues);
            trials.stream().map(t -> t.settings().get(s)).filter(Objects::nonNull).forEach(set::add);
            values.put(s, set.stream().map(String::valueOf).toList());
        }
        List<TrialRow> bad = trials.stream().filter(TrialSummary::failure).sorted(FAILURE_ORDER).toList();
        return new TrialSummary(trials.size(), byVerdict, trials.stream().map(TrialRow::seed).distinct().count(),
                trials.stream().mapToLong(TrialRow::wallTimeMs).sum(), trials.stream().filter(TrialRow::stoppedEarly).count(),
                values, bad.subList(0, Math.min(MAX_LISTED, bad.size())), bad.size());
    }

    static boolean failure(TrialRow t) {
        return t.verdict().equals("FAILED") || t.verdict().equals("DIVERGED");
    }
}
