package io.gradflow.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Paired effects of every axis level against the axis' baseline. Two trials form a pair when they differ only
 * in the axis (same other settings, same seed), so seed-to-seed noise and the other remedies cancel out.
 * Three kinds of rows: {@code main} (all pairs), {@code conditional} (pairs inside a stratum of one or two other
 * axes held at a value: "batch norm at activation=sigmoid, depth=20") and {@code interaction} (for two axes, the
 * difference in differences over matched quadruples). Pairs whose outcome is missing on either side are left out,
 * and rows without any pair are not emitted.
 */
public final class Effects {

    private Effects() {
    }

    public static List<EffectRow> compute(List<TrialRow> trials, List<AxisLevels> axes) {
        List<EffectRow> out = new ArrayList<>();
        List<Outcome> outcomes = List.of(Outcome.values()).stream().filter(Outcome::key).toList();
        for (AxisLevels a : axes) {
            Map<String, Map<String, TrialRow>> groups = groups(trials, Set.of(a.name()), a.name(), null);
            for (String level : a.levels().subList(1, a.levels().size())) {
                for (Outcome o : outcomes) {
                    add(out, EffectRow.MAIN, o, a, level, EffectRow.ALL, groups.values(), t -> true);
                }
            }
        }
        for (AxisLevels a : axes) {
            Map<String, Map<String, TrialRow>> groups = groups(trials, Set.of(a.name()), a.name(), null);
            List<AxisLevels> others = axes.stream().filter(x -> x != a).toList();
            for (String level : a.levels().subList(1, a.levels().size())) {
                for (List<Map.Entry<String, String>> stratum : strata(others)) {
                    String label = stratumLabel(stratum);
                    Predicate<TrialRow> in = t -> stratum.stream().allMatch(e -> t.level(e.getKey()).equals(e.getValue()));
                    for (Outcome o : outcomes) {
                        add(out, EffectRow.CONDITIONAL, o, a, level, label, groups.values(), in);
                    }
                }
            }
        }
        for (int i = 0; i < axes.size(); i++) {
            for (int j = i + 1; j < axes.size(); j++) {
                interactions(out, trials, axes.get(i), axes.get(j), outcomes);
            }
        }
        return out;
    }

    /** Every stratum of one other axis at one level, then of two other axes (in grid order) at a level each. */
    static List<List<Map.Entry<String, String>>> strata(List<AxisLevels> others) {
        List<List<Map.Entry<String, String>>> s = new ArrayList<>();
        for (AxisLevels b : others) {
            for (String lb : b.levels()) {
                s.add(List.of(Map.entry(b.name(), lb)));
            }
        }
        for (int i = 0; i < others.size(); i++) {
            for (int j = i + 1; j < others.size(); j++) {
                for (String lb : others.get(i).levels()) {
                    for (String lc : others.get(j).levels()) {
                        s.add(List.of(Map.entry(others.get(i).name(), lb), Map.entry(others.get(j).name(), lc)));
                    }
                }
            }
        }
        return s;
    }

    static String stratumLabel(List<Map.Entry<String, String>> stratum) {
        List<String> parts = new ArrayList<>();
        stratum.forEach(e -> parts.add(e.getKey() + "=" + e.getValue()));
        return String.join(", ", parts);
    }

    /**
     * Groups trials that agree on every setting outside {@code free} and on the seed; within a group, trials are
     * keyed by their values of the free axes (joined by '|').
     */
    static Map<String, Map<String, TrialRow>> groups(List<TrialRow> trials, Set<String> free, String first, String second) {
        Map<String, Map<String, TrialRow>> g = new LinkedHashMap<>();
        for (TrialRow t : trials) {
            StringBuilder key = new StringBuilder();
            for (Map.Entry<String, Object> e : t.settings().entrySet()) {
                if (!free.contains(e.getKey())) {
                    key.append(e.getKey()).append('=').append(e.getValue()).append(';');
                }
            }
            key.append("seed=").append(t.seed());
            String sub = second == null ? t.level(first) : t.level(first) + "|" + t.level(second);
            g.computeIfAbsent(key.toString(), k -> new HashMap<>()).put(sub, t);
        }
        return g;
    }

    private static void add(List<EffectRow> out, String kind, Outcome o, AxisLevels a, String level, String stratum,
                            Iterable<Map<String, TrialRow>> groups, Predicate<TrialRow> in) {
        List<double[]> pairs = new ArrayList<>();
        for (Map<String, TrialRow> g : groups) {
            TrialRow base = g.get(a.baseline());
            TrialRow alt = g.get(level);
            if (base == null || alt == null || !in.test(base)) {
                continue;
            }
            double yb = base.outcome(o);
            double yl = alt.outcome(o);
            if (Double.isFinite(yb) && Double.isFinite(yl)) {
                pairs.add(new double[]{yb, yl});
            }
        }
        if (pairs.isEmpty()) {
            return;
        }
        double[] d = pairs.stream().mapToDouble(p -> p[1] - p[0]).toArray();
        out.add(new EffectRow(kind, o, a.name(), level, a.baseline(), stratum, null, null, null, Estimate.of(d),
                mean(pairs, 0), mean(pairs, 1)));
    }

    private static void interactions(List<EffectRow> out, List<TrialRow> trials, AxisLevels a, AxisLevels b,
                                     List<Outcome> outcomes) {
        Map<String, Map<String, TrialRow>> groups = groups(trials, Set.of(a.name(), b.name()), a.name(), b.name());
        for (String la : a.levels().subList(1, a.levels().size())) {
            for (String lb : b.levels().subList(1, b.levels().size())) {
                for (Outcome o : outcomes) {
                    List<double[]> quads = new ArrayList<>();
                    for (Map<String, TrialRow> g : groups.values()) {
                        double y00 = value(g, a.baseline(), b.baseline(), o);
                        double y10 = value(g, la, b.baseline(), o);
                        double y01 = value(g, a.baseline(), lb, o);
                        double y11 = value(g, la, lb, o);
                        if (Double.isFinite(y00) && Double.isFinite(y10) && Double.isFinite(y01) && Double.isFinite(y11)) {
                            quads.add(new double[]{y10 - y00, y11 - y01});
                        }
                    }
                    if (quads.isEmpty()) {
                        continue;
                    }
                    double[] d = quads.stream().mapToDouble(q -> q[1] - q[0]).toArray();
                    out.add(new EffectRow(EffectRow.INTERACTION, o, a.name(), la, a.baseline(), EffectRow.ALL,
                            b.name(), lb, b.baseline(), Estimate.of(d),
                            mean(quads, 0), mean(quads, 1)));
                }
            }
        }
    }

    /** The exact mean of one column of the pairs (or quadruples' contrasts), as the Spark path computes it. */
    private static double mean(List<double[]> rows, int column) {
        ExactSum acc = new ExactSum();
        rows.forEach(r -> acc.add(r[column]));
        return acc.mean();
    }

    private static double value(Map<String, TrialRow> g, String la, String lb, Outcome o) {
        TrialRow t = g.get(la + "|" + lb);
        return t == null ? Double.NaN : t.outcome(o);
    }

    /** Looks up one effect row: e.g. the conditional effect of batchnorm=true in "activation=sigmoid, depth=20". */
    public static EffectRow find(List<EffectRow> rows, String kind, Outcome o, String axis, String level, String stratum) {
        for (EffectRow r : rows) {
            if (r.kind().equals(kind) && r.outcome() == o && r.axis().equals(axis) && r.level().equals(level)
                    && r.stratum().equals(stratum) && r.byAxis() == null) {
                return r;
            }
        }
        return null;
    }
}
