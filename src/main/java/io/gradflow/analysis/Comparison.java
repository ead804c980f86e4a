package io.gradflow.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Aggregates trials into one {@link ComparisonRow} per combination and ranks the combinations. */
public final class Comparison {

    /** Verdicts from best to worst: a tie for the majority goes to the later one. */
    public static final List<String> VERDICT_ORDER = List.of("HEALTHY", "VANISHING", "EXPLODING", "DIVERGED", "FAILED");

    /** The ranking rule, as documented in the README and the report. */
    public static final String RANKING_RULE = "rank 1 is best: first combinations whose majority verdict is HEALTHY, "
            + "then VANISHING or EXPLODING, then DIVERGED or FAILED; within each group by mean test accuracy (higher "
            + "first), then mean final train loss (lower first), then |mean flow_log10_delta_train| (closer to 0 first)";

    private Comparison() {
    }

    /**
     * @param trials the sweep's trials
     * @param axes   the varied axes in grid order (for labels and the order of ties)
     * @return one row per combination, sorted by rank
     */
    public static List<ComparisonRow> compute(List<TrialRow> trials, List<AxisLevels> axes) {
        Map<String, List<TrialRow>> byCombination = new LinkedHashMap<>();
        for (TrialRow t : trials) {
            byCombination.computeIfAbsent(t.combinationId(), k -> new ArrayList<>()).add(t);
        }
        List<ComparisonRow> rows = new ArrayList<>();
        for (Map.Entry<String, List<TrialRow>> e : byCombination.entrySet()) {
            List<TrialRow> seeds = e.getValue();
            TrialRow first = seeds.get(0);
            Map<Outcome, Estimate> est = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                double[] v = seeds.stream().mapToDouble(t -> t.outcome(o)).toArray();
                est.put(o, Estimate.of(v));
            }
            int failed = (int) seeds.stream().filter(t -> t.verdict().equals("FAILED")).count();
            int diverged = (int) seeds.stream().filter(t -> t.verdict().equals("DIVERGED")).count();
            rows.add(new ComparisonRow(e.getKey(), label(first, axes), first.settings(), seeds.size(), failed, diverged,
                    est, majority(seeds.stream().map(TrialRow::verdict).toList()), 0));
        }
        return rank(rows, axes);
    }

    /** The rows sorted by {@link #RANKING_RULE} (ties in grid order, then by combination id), ranked 1, 2, .... */
    static List<ComparisonRow> rank(List<ComparisonRow> rows, List<AxisLevels> axes) {
        List<ComparisonRow> sorted = new ArrayList<>(rows);
        sorted.sort(ranking(axes));
        List<ComparisonRow> ranked = new ArrayList<>(sorted.size());
        for (int i = 0; i < sorted.size(); i++) {
            ranked.add(sorted.get(i).withRank(i + 1));
        }
        return ranked;
    }

    /** The most common verdict; a tie goes to the worse one (later in {@link #VERDICT_ORDER}). */
    public static String majority(List<String> verdicts) {
        Map<String, Long> counts = new HashMap<>();
        verdicts.forEach(v -> counts.merge(v, 1L, Long::sum));
        return majority(counts);
    }

    /** {@link #majority(List)} from each verdict's count; a tie between verdicts of no known order goes to the later name. */
    public static String majority(Map<String, Long> counts) {
        String best = null;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            if (best == null || e.getValue() > counts.get(best)
                    || (e.getValue().equals(counts.get(best)) && (severity(e.getKey()) > severity(best)
                    || (severity(e.getKey()) == severity(best) && e.getKey().compareTo(best) > 0)))) {
                best = e.getKey();
            }
        }
        return best;
    }

    static int severity(String verdict) {
        int i = VERDICT_ORDER.indexOf(verdict);
        return i < 0 ? VERDICT_ORDER.size() : i;
    }

    /** 0 healthy, 1 vanishing or exploding, 2 diverged or failed. */
    static int healthGroup(String verdict) {
        return switch (verdict) {
            case "HEALTHY" -> 0;
            case "VANISHING", "EXPLODING" -> 1;
            default -> 2;
        };
    }

    /** The label of a combination: the varied axes' values in grid order, or "all" without varied axes. */
    public static String label(TrialRow t, List<AxisLevels> axes) {
        return label(t.settings(), axes);
    }

    /** The label of a combination from its settings (values as in {@code trials}). */
    public static String label(Map<String, Object> settings, List<AxisLevels> axes) {
        if (axes.isEmpty()) {
            return "all";
        }
        List<String> parts = new ArrayList<>();
        for (AxisLevels a : axes) {
            parts.add(a.name() + "=" + settings.get(a.name()));
        }
        return String.join(", ", parts);
    }

    static Comparator<ComparisonRow> ranking(List<AxisLevels> axes) {
        Comparator<ComparisonRow> c = Comparator.comparingInt(r -> healthGroup(r.majorityVerdict()));
        c = c.thenComparing(r -> r.estimate(Outcome.TEST_ACCURACY).mean(), nanLast(Comparator.<Double>reverseOrder()));
        c = c.thenComparing(r -> r.estimate(Outcome.FINAL_TRAIN_LOSS).mean(), nanLast(Comparator.<Double>naturalOrder()));
        c = c.thenComparing(r -> Math.abs(r.estimate(Outcome.FLOW_DELTA_TRAIN).mean()), nanLast(Comparator.<Double>naturalOrder()));
        c = c.thenComparing(gridOrder(axes));
        return c.thenComparing(ComparisonRow::combinationId);
    }

    /** Orders combinations as the grid lists them: by the first axis' level index, then the second's, ... */
    static Comparator<ComparisonRow> gridOrder(List<AxisLevels> axes) {
        return (x, y) -> {
            for (AxisLevels a : axes) {
                int c = Integer.compare(a.indexOf(String.valueOf(x.settings().get(a.name()))),
                        a.indexOf(String.valueOf(y.settings().get(a.name()))));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        };
    }

    private static Comparator<Double> nanLast(Comparator<Double> c) {
        return (x, y) -> {
            boolean xn = x.isNaN();
            boolean yn = y.isNaN();
            if (xn || yn) {
                return Boolean.compare(xn, yn);
            }
            return c.compare(x, y);
        };
    }
}
