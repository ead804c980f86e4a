package io.gradflow.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The terminal summary of an analysis: aligned plain-text tables. */
final class Summary {

    private Summary() {
    }

    static String text(Analysis.Result r, int topCombinations, int topEffects) {
        StringBuilder sb = new StringBuilder();
        long stopped = r.trials().stopped();
        sb.append(String.format(Locale.ROOT, "%d combinations from %d trials%s; report: %s%n", r.combinations(),
                r.trials().count(), stopped > 0 ? " (" + stopped + " stopped early)" : "", r.reportPath()));
        sb.append("Top combinations (majority HEALTHY first, then by mean test accuracy; ± is the 95% CI half-width):\n");
        List<List<String>> rows = new ArrayList<>();
        for (ComparisonRow c : r.comparison().subList(0, Math.min(topCombinations, r.comparison().size()))) {
            rows.add(List.of(Integer.toString(c.rank()), c.label(), Integer.toString(c.nSeeds()),
                    Integer.toString(c.nFailed() + c.nDiverged()), c.majorityVerdict(),
                    pm(c.estimate(Outcome.FLOW_DELTA_INIT)), pm(c.estimate(Outcome.FLOW_DELTA_TRAIN)),
                    pm(c.estimate(Outcome.TEST_ACCURACY)), Analysis.fmt(c.estimate(Outcome.FINAL_TRAIN_LOSS).mean())));
        }
        sb.append(table(List.of("rank", "combination", "seeds", "failed/div", "verdict", "flow_init", "flow_train",
                "test_acc", "train_loss"), rows));
        List<EffectRow> main = r.effects().stream()
                .filter(e -> e.kind().equals(EffectRow.MAIN) && (e.outcome() == Outcome.FLOW_DELTA_INIT
                        || e.outcome() == Outcome.FLOW_DELTA_TRAIN || e.outcome() == Outcome.TEST_ACCURACY))
                .sorted(Comparator.comparing((EffectRow e) -> e.outcome().ordinal() > Outcome.FLOW_GRAD_TRAIN.ordinal())
                        .thenComparingDouble(e -> -Math.abs(e.diff().mean())))
                .limit(topEffects).toList();
        if (!main.isEmpty()) {
            sb.append("Largest effects (paired: same other settings and seed; 95% CI):\n");
            List<List<String>> er = new ArrayList<>();
            for (EffectRow e : main) {
                er.add(List.of(e.outcome().column(), e.axis() + ": " + e.baseline() + " -> " + e.level(),
                        Integer.toString(e.nPairs()), signed(e.diff().mean()),
                        Double.isFinite(e.diff().ciLow()) ? "[" + signed(e.diff().ciLow()) + ", " + signed(e.diff().ciHigh()) + "]" : "-"));
            }
            sb.append(table(List.of("outcome", "change", "pairs", "mean_diff", "95% CI"), er));
        }
        return sb.toString();
    }

    private static String pm(Estimate e) {
        if (!Double.isFinite(e.mean())) {
            return "-";
        }
        return Double.isFinite(e.halfWidth()) ? Analysis.fmt(e.mean()) + "±" + Analysis.fmt(e.halfWidth()) : Analysis.fmt(e.mean());
    }

    private static String signed(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.2f", v) : "-";
    }

    /** Left-aligned text, right-aligned numbers, two spaces between columns. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w, false);
        List<String> dashes = new ArrayList<>();
        for (int x : w) {
            dashes.add("-".repeat(x));
        }
        line(sb, dashes, w, false);
        rows.forEach(r -> line(sb, r, w, true));
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w, boolean align) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            boolean num = align && c.matches("[-+]?[0-9][0-9.]*(±[0-9.]+)?|[-+]?\\[.*\\]|-");
            String pad = " ".repeat(w[i] - c.length());
            l.append(num ? pad + c : c + pad).append(i < cells.size() - 1 ? "  " : "");
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
