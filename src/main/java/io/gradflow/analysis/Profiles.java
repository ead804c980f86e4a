package io.gradflow.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-block and per-step series the report draws, averaged over the seeds of each combination. Pure: the
 * rows come from {@code layer_stats} and {@code curves}, already read.
 */
public final class Profiles {

    private Profiles() {
    }

    /**
     * ‖δ‖ of one block of one trial at step 0 or at the trial's last sampled step.
     *
     * @param trialId   the trial
     * @param end       false: step 0 (initialization); true: the last sampled step
     * @param block     1-based hidden block
     * @param deltaNorm ‖δ‖₂ at the block's pre-activation
     */
    public record BlockDelta(String trialId, boolean end, int block, double deltaNorm) {
    }

    /** One recorded minibatch loss. */
    public record LossPoint(String trialId, int step, double trainLoss) {
    }

    /**
     * Mean over seeds of log10‖δ_l‖ per block, at initialization and at the end of training.
     *
     * @param init index l − 1; NaN where no seed has a finite positive value
     * @param end  the same at the last sampled step
     */
    public record Profile(double[] init, double[] end) {
    }

    /** Mean over a combination's seeds of log10‖δ_l‖; non-finite and non-positive norms are left out. */
    public static Map<String, Profile> meanLog10Delta(List<TrialRow> trials, List<BlockDelta> deltas) {
        Map<String, String> combOf = new HashMap<>();
        trials.forEach(t -> combOf.put(t.trialId(), t.combinationId()));
        // combination → phase → block → [sum, count]
        Map<String, Map<Boolean, Map<Integer, double[]>>> acc = new LinkedHashMap<>();
        for (BlockDelta d : deltas) {
            String c = combOf.get(d.trialId());
            if (c == null || !(d.deltaNorm() > 0) || !Double.isFinite(d.deltaNorm())) {
                continue;
            }
            double[] s = acc.computeIfAbsent(c, k -> new HashMap<>()).computeIfAbsent(d.end(), k -> new HashMap<>())
                    .computeIfAbsent(d.block(), k -> new double[2]);
            s[0] += Math.log10(d.deltaNorm());
            s[1] += 1;
        }
        Map<String, Profile> out = new LinkedHashMap<>();
        acc.forEach((c, phases) -> out.put(c, new Profile(means(phases.get(false)), means(phases.get(true)))));
        return out;
    }

    private static double[] means(Map<Integer, double[]> byBlock) {
        if (byBlock == null || byBlock.isEmpty()) {
            return new double[0];
        }
        int n = byBlock.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        double[] m = new double[n];
        java.util.Arrays.fill(m, Double.NaN);
        byBlock.forEach((b, s) -> m[b - 1] = s[0] / s[1]);
        return m;
    }

    /** Mean over a combination's seeds of the minibatch loss at each recorded step; non-finite losses left out. */
    public static Map<String, TreeMap<Integer, Double>> meanLoss(List<TrialRow> trials, List<LossPoint> points) {
        Map<String, String> combOf = new HashMap<>();
        trials.forEach(t -> combOf.put(t.trialId(), t.combinationId()));
        Map<String, TreeMap<Integer, double[]>> acc = new LinkedHashMap<>();
        for (LossPoint p : points) {
            String c = combOf.get(p.trialId());
            if (c == null || !Double.isFinite(p.trainLoss())) {
                continue;
            }
            double[] s = acc.computeIfAbsent(c, k -> new TreeMap<>()).computeIfAbsent(p.step(), k -> new double[2]);
            s[0] += p.trainLoss();
            s[1] += 1;
        }
        Map<String, TreeMap<Integer, Double>> out = new LinkedHashMap<>();
        acc.forEach((c, steps) -> {
            TreeMap<Integer, Double> m = new TreeMap<>();
            steps.forEach((k, s) -> m.put(k, s[0] / s[1]));
            out.put(c, m);
        });
        return out;
    }

    /**
     * The combinations a flow-profile or loss panel compares: the baseline (every axis in {@code compared} at its
     * first level) and, for each such axis, each other level with the rest at baseline; the axes in
     * {@code fixed} are held at the given levels. Returns label → combination row, in that order; combinations
     * that the sweep does not have (excluded) are skipped.
     */
    public static Map<String, ComparisonRow> remedyLines(List<ComparisonRow> combos, List<AxisLevels> compared,
                                                         Map<String, String> fixed) {
        Map<String, ComparisonRow> out = new LinkedHashMap<>();
        Map<String, String> base = new LinkedHashMap<>(fixed);
        compared.forEach(a -> base.put(a.name(), a.baseline()));
        List<String> baseParts = new ArrayList<>();
        compared.forEach(a -> baseParts.add(a.name() + "=" + a.baseline()));
        ComparisonRow b = match(combos, base);
        if (b != null) {
            out.put("baseline (" + String.join(", ", baseParts) + ")", b);
        }
        for (AxisLevels a : compared) {
            for (String level : a.levels().subList(1, a.levels().size())) {
                Map<String, String> want = new LinkedHashMap<>(base);
                want.put(a.name(), level);
                ComparisonRow r = match(combos, want);
                if (r != null) {
                    out.put(a.name() + "=" + level, r);
                }
            }
        }
        return out;
    }

    static ComparisonRow match(List<ComparisonRow> combos, Map<String, String> want) {
        for (ComparisonRow r : combos) {
            boolean ok = true;
            for (Map.Entry<String, String> e : want.entrySet()) {
                if (!String.valueOf(r.settings().get(e.getKey())).equals(e.getValue())) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                return r;
            }
        }
        return null;
    }
}
