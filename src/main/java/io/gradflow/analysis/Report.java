package io.gradflow.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The self-contained {@code report.html}: every chart is an inline PNG, the styles are inline, and the only
 * script is a few inline lines that mark the document once every chart has decoded (which the tests read).
 * Large sweeps stay readable because the charts are faceted: heatmaps per depth (and per first-axis level when
 * a depth panel would exceed {@value #MAX_COLUMNS} columns), profiles and loss curves per first-axis level with one
 * line per single remedy against the baseline. Grids of many combinations stay a file a browser opens because every
 * section draws a bounded number of panels, lines, bars and rows ({@link #MAX_PANELS} and its siblings) and says
 * where it cut.
 */
public final class Report {

    static final int MAX_COLUMNS = 80;
    /**
     * The most panels a section draws, lines or series a chart draws, bars an effects chart has and rows the ranking
     * lists. A grid of 10^4 combinations made a report of 127 MB without them (280 heatmaps, a panel per level of a
     * 70-level axis, every combination ranked), 3 × 10^4 one the driver could not hold; what is left out is in the
     * datasets, and the report says so where it cuts.
     */
    static final int MAX_PANELS = 24;
    static final int MAX_LINES = 24;
    static final int MAX_BARS = 60;
    static final int MAX_RANKED = 500;
    private static final List<Outcome> MAIN_EFFECT_OUTCOMES = List.of(Outcome.FLOW_DELTA_INIT, Outcome.FLOW_DELTA_TRAIN,
            Outcome.TEST_ACCURACY);

    /**
     * Everything the report shows, already read and aggregated.
     *
     * @param sweep      sweep name
     * @param manifest   the manifest's top-level fields (may be empty)
     * @param trials     what is said about the trials themselves (counts, settings, failures)
     * @param axes       the varied axes in grid order
     * @param comparison how many combinations there are, and the rows the report draws
     * @param effects    the effects
     * @param profiles   combination → mean log10‖δ_l‖ at init and end
     * @param losses     combination → step → mean minibatch loss
     * @param datasets   the distinct {@code dataset} values of the trials (the canonical data description)
     */
    public record Input(String sweep, Map<String, Object> manifest, TrialSummary trials, List<AxisLevels> axes,
                        ComparisonSample comparison, List<EffectRow> effects, Map<String, Profiles.Profile> profiles,
                        Map<String, TreeMap<Integer, Double>> losses, List<String> datasets) {
        public Input {
            datasets = List.copyOf(datasets);
        }

        /** From every comparison row, by rank (the report keeps those it draws). */
        public Input(String sweep, Map<String, Object> manifest, TrialSummary trials, List<AxisLevels> axes,
                     List<ComparisonRow> comparison, List<EffectRow> effects, Map<String, Profiles.Profile> profiles,
                     Map<String, TreeMap<Integer, Double>> losses, List<String> datasets) {
            this(sweep, manifest, trials, axes, ComparisonSample.of(comparison, axes, ComparisonSample.REPORT), effects,
                    profiles, losses, datasets);
        }

        /** From the trial rows themselves (tests, small sweeps). */
        public Input(String sweep, Map<String, Object> manifest, List<TrialRow> trials, List<AxisLevels> axes,
                     List<ComparisonRow> comparison, List<EffectRow> effects, Map<String, Profiles.Profile> profiles,
                     Map<String, TreeMap<Integer, Double>> losses, List<String> datasets) {
            this(sweep, manifest, TrialSummary.of(trials), axes, comparison, effects, profiles, losses, datasets);
        }

        /** Without a dataset description (tests of the charts). */
        public Input(String sweep, Map<String, Object> manifest, List<TrialRow> trials, List<AxisLevels> axes,
                     List<ComparisonRow> comparison, List<EffectRow> effects, Map<String, Profiles.Profile> profiles,
                     Map<String, TreeMap<Integer, Double>> losses) {
            this(sweep, manifest, trials, axes, comparison, effects, profiles, losses, List.of());
        }
    }

    /** What the overview says was trained, in this order: the settings that describe the network and its training. */
    static final List<String> TRAINING_SETTINGS = List.of("width", "depth", "steps", "batch_size", "optimizer",
            "learning_rate", "dtype");

    private final Input in;
    private final StringBuilder html = new StringBuilder();
    private int charts;

    private Report(Input in) {
        this.in = in;
    }

    public static String render(Input in) {
        return new Report(in).build();
    }

    private String build() {
        try {
            return buildHtml();
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private String buildHtml() {
        StringBuilder sections = new StringBuilder();
        StringBuilder saved = html;
        overview(sections);
        heatmaps(sections);
        profiles(sections);
        losses(sections);
        effects(sections);
        ranking(sections);
        failures(sections);
        String body = resolveCharts(sections);
        saved.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>gradflow report: ").append(esc(in.sweep())).append("</title>\n<style>").append(CSS).append("</style>\n</head>\n")
                .append("<body data-charts=\"").append(charts).append("\">\n")
                .append("<header><h1>gradflow report: ").append(esc(in.sweep())).append("</h1>\n<nav>")
                .append("<a href=\"#overview\">overview</a><a href=\"#heatmaps\">heatmaps</a><a href=\"#profiles\">flow profiles</a>")
                .append("<a href=\"#losses\">loss curves</a><a href=\"#effects\">effects</a><a href=\"#ranking\">ranking</a>")
                .append("<a href=\"#failures\">failures</a></nav></header>\n<main>\n")
                .append(body)
                .append("</main>\n<script>\n")
                .append("window.addEventListener('load', function () {\n")
                .append("  var imgs = document.querySelectorAll('figure.chart img');\n")
                .append("  var ok = 0;\n")
                .append("  imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) { ok++; } });\n")
                .append("  document.body.setAttribute('data-charts-rendered', String(ok));\n")
                .append("});\n</script>\n</body></html>\n");
        return saved.toString();
    }

    // ---------------------------------------------------------------- sections

    private void overview(StringBuilder b) {
        TrialSummary t = in.trials();
        Map<String, Long> verdicts = t.byVerdict();
        long seeds = t.seeds();
        double cpuSeconds = t.wallTimeMs() / 1000.0;
        b.append("<section id=\"overview\"><h2>Overview</h2>\n<div class=\"cards\">");
        card(b, Long.toString(t.count()), "trials");
        card(b, Long.toString(in.comparison().combinations()), "combinations × " + seeds + " seed" + (seeds == 1 ? "" : "s"));
        // Every verdict, zeros included: "0 EXPLODING" is a finding, a missing card is not.
        for (Map.Entry<String, Long> e : verdicts.entrySet()) {
            card(b, Long.toString(e.getValue()), "<span class=\"v " + e.getKey() + "\">" + e.getKey() + "</span>");
        }
        long stopped = t.stopped();
        if (stopped > 0) {
            // Their verdicts are counted above; this says how many of them did not run every step.
            card(b, Long.toString(stopped), "stopped early (health.stop_early)");
        }
        card(b, fmtDuration(cpuSeconds), "trial time (sum over tasks)");
        long wall = wallTimeMillis(in.manifest());
        if (wall >= 0) {
            card(b, Durations.clock(wall), "sweep wall time");
        }
        b.append("</div>\n<table class=\"kv\">");
        kv(b, "dataset", in.datasets().isEmpty() ? "unknown" : String.join("; ", in.datasets()));
        for (String setting : TRAINING_SETTINGS) {
            kv(b, setting.replace('_', ' '), settingValues(setting));
        }
        kv(b, "varied axes", in.axes().isEmpty() ? "none" : in.axes().stream()
                .map(a -> a.name() + " (" + String.join(", ", a.levels()) + "; baseline " + a.baseline() + ")")
                .collect(Collectors.joining("; ")));
        for (String k : List.of("master", "gradflow_version", "dl4j_version", "spark_version", "java_version", "git_commit",
                "started_at", "finished_at")) {
            Object v = in.manifest().get(k);
            if (v != null) {
                kv(b, k.replace('_', ' '), v.toString());
            }
        }
        b.append("</table>\n<p class=\"note\"><b>flow</b> = log10(‖δ<sub>first block</sub>‖ / ‖δ<sub>last block</sub>‖), ")
                .append("norms (not squared) of the gradient with respect to each hidden block's pre-activation: 0 means ")
                .append("the gradient reaches the first block intact, −3 that it arrives with a thousandth of its norm. ")
                .append("Intervals are 95% Student-t intervals over seeds (comparison) or over pairs (effects); ")
                .append(CLIP_NOTE).append("</p></section>\n");
    }

    /** Says how the report clips intervals of bounded outcomes; the {@code comparison} dataset keeps them as computed. */
    static final String CLIP_NOTE = "an interval of test accuracy, a share, is clipped to [0, 1] where the report shows it "
            + "(the t interval itself can run past 1 when seeds agree closely near 100%; the comparison dataset keeps it "
            + "unclipped).";

    /** The values a setting takes over the trials: grid order for a varied axis, else its one value. */
    private String settingValues(String setting) {
        for (AxisLevels a : in.axes()) {
            if (a.name().equals(setting)) {
                return String.join(", ", a.levels()) + " (varied)";
            }
        }
        List<String> values = in.trials().settingValues().getOrDefault(setting, List.of());
        return values.isEmpty() ? "–" : String.join(", ", values);
    }

    private void heatmaps(StringBuilder b) {
        b.append("<section id=\"heatmaps\"><h2>Gradient norm per block: log10‖δ<sub>l</sub>‖</h2>\n")
                .append("<p class=\"note\">Each column is one combination (mean over its seeds), each row a hidden block; ")
                .append("the colour is log10 of the norm of δ<sub>l</sub> = ∂loss/∂(pre-activation of block l). A column that ")
                .append("darkens toward block 1 is a vanishing gradient; one that brightens toward block 1 explodes. ")
                .append("Left: at initialization (step 0); right: at the last sampled step. Both panels share one colour scale, clipped to the 2nd–98th percentile of all values.</p>\n");
        // The panels drawn, each with its first MAX_COLUMNS columns in grid order.
        List<ComparisonSample.Facet> facets = in.comparison().facets();
        Map<ComparisonSample.Facet, List<ComparisonRow>> drawn = new LinkedHashMap<>();
        for (ComparisonSample.Facet f : facets.subList(0, Math.min(MAX_PANELS, facets.size()))) {
            drawn.put(f, in.comparison().columns(f, in.axes(), MAX_COLUMNS));
        }
        List<Double> all = new ArrayList<>();
        drawn.values().forEach(rows -> rows.forEach(r -> {
            Profiles.Profile p = in.profiles().get(r.combinationId());
            if (p != null) {
                for (double[] a : new double[][]{p.init(), p.end()}) {
                    for (double v : a) {
                        if (Double.isFinite(v)) {
                            all.add(v);
                        }
                    }
                }
            }
        }));
        if (all.isEmpty()) {
            b.append("<p class=\"empty\">No trial recorded gradient norms (every trial failed).</p></section>\n");
            return;
        }
        // One diverged network can reach 1e13; clip the colour scale to the 2nd..98th percentile so the rest stays legible.
        all.sort(null);
        double min = Math.floor(all.get((int) Math.floor(0.02 * (all.size() - 1))));
        double top = Math.ceil(all.get((int) Math.ceil(0.98 * (all.size() - 1))));
        double max = top - min < 1 ? min + 1 : top;
        boolean ends = hasEndOfTraining();
        if (!ends) {
            b.append("<p class=\"empty\">").append(NO_END).append("</p>\n");
        }
        long widest = 0;
        for (Map.Entry<ComparisonSample.Facet, List<ComparisonRow>> facet : drawn.entrySet()) {
            List<ComparisonRow> rows = facet.getValue();
            String name = facet.getKey().title();
            widest = Math.max(widest, facet.getKey().columns());
            int depth = rows.stream().mapToInt(r -> ((Number) r.settings().get("depth")).intValue()).max().orElse(1);
            Map<String, String> shortLabels = shortLabels(rows, facetAxes());
            List<String> cols = rows.stream().map(r -> shortLabels.get(r.combinationId())).toList();
            b.append("<h3>").append(esc(name)).append("</h3><div class=\"row\">");
            for (boolean end : ends ? new boolean[]{false, true} : new boolean[]{false}) {
                List<double[]> values = new ArrayList<>();
                for (ComparisonRow r : rows) {
                    Profiles.Profile p = in.profiles().get(r.combinationId());
                    double[] v = p == null ? new double[0] : (end ? p.end() : p.init()).clone();
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Double.isFinite(v[i]) ? Math.max(min, Math.min(max, v[i])) : v[i];
                    }
                    values.add(v);
                }
                String title = "log10‖δ‖ " + (end ? "at the end of training" : "at initialization") + " · " + name;
                figure(b, () -> Charts.heatmap(title, cols, depth, values, min, max), title);
            }
            b.append("</div>\n");
        }
        String sql = "SELECT combination_id, block, avg(log10(delta_norm)) FROM layer_stats JOIN trials USING (trial_id) WHERE step = 0 GROUP BY 1, 2 ORDER BY 1, 2";
        leftOut(b, drawn.size(), facets.size(), "heatmap panels", sql);
        leftOut(b, MAX_COLUMNS, widest, "columns (in grid order) of the widest heatmap panel", sql);
        b.append("</section>\n");
    }

    /**
     * A note where the report shows only the first {@code shown} of {@code total} things, with a query that lists
     * all of them.
     */
    private static void leftOut(StringBuilder b, long shown, long total, String what, String sql) {
        if (shown < total) {
            b.append("<p class=\"note\">The first ").append(shown).append(" of ").append(total).append(' ').append(esc(what))
                    .append(" are shown; the datasets hold all of them, e.g. <code>gradflow sql SWEEP \"")
                    .append(esc(sql)).append("\"</code>.</p>\n");
        }
    }

    private static final String NO_END = "No training step after step 0 was sampled (a one-step sweep, or every trial "
            + "stopped at step 0), so there are no end-of-training panels.";

    /** True when some combination has a profile at a sampled step after 0: a one-step sweep has none. */
    private boolean hasEndOfTraining() {
        return in.profiles().values().stream().anyMatch(p -> p.end().length > 0);
    }

    private List<String> facetAxes() {
        List<String> f = new ArrayList<>();
        if (hasAxis("depth")) {
            f.add("depth");
        }
        return f;
    }

    /** Compact column labels: non-boolean values joined by '/', then +name for each boolean axis that is true. */
    static Map<String, String> shortLabels(List<ComparisonRow> rows, List<String> leaveOut) {
        return rowsLabels(rows, leaveOut);
    }

    private static Map<String, String> rowsLabels(List<ComparisonRow> rows, List<String> leaveOut) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ComparisonRow r : rows) {
            List<String> vals = new ArrayList<>();
            List<String> flags = new ArrayList<>();
            for (String part : r.label().split(", ")) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    vals.add(part);
                    continue;
                }
                String axis = part.substring(0, eq);
                String v = part.substring(eq + 1);
                if (leaveOut.contains(axis)) {
                    continue;
                }
                if (v.equals("true")) {
                    flags.add("+" + abbreviate(axis));
                } else if (axis.equals("residual") || axis.equals("clip") || axis.equals("pretrain")) {
                    // residual=scaled/rezero and clip=norm(1.0) read as remedies switched on; clip=none as none
                    if (!v.equals("none") && !v.equals("false")) {
                        flags.add("+" + abbreviate(axis) + ":" + v);
                    }
                } else if (!v.equals("false")) {
                    vals.add(axis.equals("depth") ? "d" + v : v);
                }
            }
            String label = String.join("/", vals) + (flags.isEmpty() ? "" : " " + String.join(" ", flags));
            out.put(r.combinationId(), label.isBlank() ? "plain" : label.strip());
        }
        return out;
    }

    static String abbreviate(String axis) {
        return switch (axis) {
            case "batchnorm" -> "bn";
            case "residual" -> "res";
            default -> axis;
        };
    }

    private void profiles(StringBuilder b) {
        b.append("<section id=\"profiles\"><h2>Gradient flow profiles against the baseline</h2>\n<p class=\"note\">")
                .append(panelNote()).append(" The y axis is log10‖δ<sub>l</sub>‖ (mean over seeds) against the block ")
                .append("index; a flat line is healthy flow, a line that falls toward block 1 vanishes.</p>\n<div class=\"grid\">");
        int drawn = 0;
        boolean ends = hasEndOfTraining();
        if (!ends) {
            b.append("<p class=\"empty\">").append(NO_END).append("</p>");
        }
        Panels panels = panels();
        for (Panel p : panels.shown()) {
            for (boolean end : ends ? new boolean[]{false, true} : new boolean[]{false}) {
                Map<String, double[][]> series = new LinkedHashMap<>();
                for (Map.Entry<String, ComparisonRow> e : p.lines().entrySet()) {
                    Profiles.Profile pr = in.profiles().get(e.getValue().combinationId());
                    double[] y = pr == null ? new double[0] : end ? pr.end() : pr.init();
                    double[] x = new double[y.length];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = i + 1;
                    }
                    series.put(e.getKey(), new double[][]{x, y});
                }
                String title = p.title() + (end ? " · end of training" : " · initialization");
                figure(b, () -> Charts.lines(title, "block (1 = next to the input)", "log10 ‖δ‖", series, 470, 360, false), title);
                drawn++;
            }
        }
        if (drawn == 0) {
            b.append("<p class=\"empty\">No combination to draw.</p>");
        }
        b.append("</div>");
        panels.note(b, "SELECT combination, flow_log10_delta_init_mean, flow_log10_delta_train_mean FROM comparison ORDER BY rank");
        b.append("</section>\n");
    }

    private void losses(StringBuilder b) {
        b.append("<section id=\"losses\"><h2>Loss curves</h2>\n<p class=\"note\">Minibatch cross-entropy (mean over seeds) against the training step; same panels and lines as the profiles. A line that stops ")
                .append("early diverged.</p>\n<div class=\"grid\">");
        Panels panels = panels();
        for (Panel p : panels.shown()) {
            Map<String, double[][]> series = new LinkedHashMap<>();
            for (Map.Entry<String, ComparisonRow> e : p.lines().entrySet()) {
                TreeMap<Integer, Double> curve = in.losses().getOrDefault(e.getValue().combinationId(), new TreeMap<>());
                double[] x = curve.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] y = curve.values().stream().mapToDouble(Double::doubleValue).toArray();
                series.put(e.getKey(), new double[][]{x, y});
            }
            figure(b, () -> Charts.lines(p.title() + " · training loss", "step", "minibatch loss", series, 470, 360, false),
                    p.title() + " training loss");
        }
        b.append("</div>");
        panels.note(b, "SELECT combination_id, step, avg(train_loss) FROM curves JOIN trials USING (trial_id) GROUP BY 1, 2 ORDER BY 1, 2");
        b.append("</section>\n");
    }

    private void effects(StringBuilder b) {
        b.append("<section id=\"effects\"><h2>Effects of each remedy</h2>\n<p class=\"note\">Each bar is the mean paired ")
                .append("difference outcome(level) − outcome(baseline) over pairs of trials that differ only in that axis ")
                .append("(same other settings, same seed); whiskers are 95% Student-t intervals over the pairs (none with a ")
                .append("single pair). For flows, a positive effect means more gradient reaches the first block.</p>\n");
        List<EffectRow> main = in.effects().stream().filter(e -> e.kind().equals(EffectRow.MAIN)).toList();
        if (main.isEmpty()) {
            b.append("<p class=\"empty\">No effects: the sweep varies no axis, or no two trials differ in only one axis.</p></section>\n");
            return;
        }
        b.append("<div class=\"grid\">");
        int mostBars = 0;
        for (Outcome o : MAIN_EFFECT_OUTCOMES) {
            List<EffectRow> all = main.stream().filter(e -> e.outcome() == o).toList();
            if (all.isEmpty()) {
                continue;
            }
            mostBars = Math.max(mostBars, all.size());
            List<EffectRow> rows = all.subList(0, Math.min(MAX_BARS, all.size()));
            List<String> cats = rows.stream().map(e -> e.axis() + ": " + e.baseline() + "→" + e.level()).toList();
            double[][] m = {rows.stream().mapToDouble(e -> e.diff().mean()).toArray()};
            double[][] hw = {rows.stream().mapToDouble(e -> e.diff().halfWidth()).toArray()};
            String title = "main effect on " + o.column();
            figure(b, () -> Charts.bars(title, "Δ " + o.column() + " (" + o.unit() + ")", cats, List.of(Charts.SINGLE),
                    m, hw, Math.max(470, Math.min(1400, 120 + 60 * cats.size())), 400), title);
        }
        b.append("</div>\n");
        leftOut(b, MAX_BARS, mostBars, "main effects of a chart",
                "SELECT axis, level, outcome, mean_diff, ci_low, ci_high FROM effects WHERE kind = 'main'");
        conditional(b);
        b.append("<h3>Largest effects</h3>\n<p class=\"note\">How to read a row: <b>main</b> is the mean change of the ")
                .append("outcome when the axis goes from the baseline to the level, over all pairs of trials that differ only ")
                .append("there; <b>interaction</b> (\"× other axis: baseline→level\") is a difference of differences: the ")
                .append("change at the other axis' level minus the change at its baseline. An interaction near 0 means the two ")
                .append("changes add up independently; a positive one means the first change helps more (or hurts less) when ")
                .append("the other is made too, a negative one that it helps less. An interval that contains 0 is not a ")
                .append("measured difference.</p>\n").append(effectsTable(in.effects().stream()
                .filter(e -> !e.kind().equals(EffectRow.CONDITIONAL) && e.outcome().flow())
                .sorted(Comparator.comparingDouble((EffectRow e) -> -Math.abs(e.diff().mean()))).limit(15).toList()));
        b.append("<p class=\"note\">Every effect, every stratum and every interaction is in the <code>effects</code> dataset, e.g. ")
                .append("<code>gradflow sql DIR \"SELECT axis, level, stratum, mean_diff, ci_low, ci_high FROM effects ")
                .append("WHERE kind = 'conditional' AND outcome = 'flow_log10_delta_init'\"</code>.</p></section>\n");
    }

    /**
     * Remedy effects within each level of the first axis (at the deepest depth when depth varies): at most
     * {@link #MAX_PANELS} levels and {@link #MAX_LINES} remedies, the first in grid order.
     */
    private void conditional(StringBuilder b) {
        if (in.axes().size() < 2) {
            return;
        }
        AxisLevels first = in.axes().get(0);
        String depthPart = depthPart(in.axes(), in.comparison().maxDepth());
        List<String> allRemedies = new ArrayList<>();
        for (AxisLevels a : in.axes()) {
            if (a == first || a.name().equals("depth")) {
                continue;
            }
            a.levels().subList(1, a.levels().size()).forEach(l -> allRemedies.add(a.name() + "=" + l));
        }
        if (allRemedies.isEmpty()) {
            return;
        }
        List<String> remedies = allRemedies.subList(0, Math.min(MAX_LINES, allRemedies.size()));
        List<String> levels = first.levels().subList(0, Math.min(MAX_PANELS, first.levels().size()));
        // One lookup per bar: a grid of many levels has tens of thousands of effect rows here.
        Map<String, EffectRow> byKey = new java.util.HashMap<>();
        for (EffectRow e : in.effects()) {
            if (e.kind().equals(EffectRow.CONDITIONAL)) {
                byKey.put(e.outcome() + "\u0000" + e.axis() + "=" + e.level() + "\u0000" + e.stratum(), e);
            }
        }
        b.append("<div class=\"grid\">");
        for (Outcome o : List.of(Outcome.FLOW_DELTA_INIT, Outcome.FLOW_DELTA_TRAIN)) {
            double[][] m = new double[remedies.size()][levels.size()];
            double[][] hw = new double[remedies.size()][levels.size()];
            boolean any = false;
            for (int i = 0; i < remedies.size(); i++) {
                for (int k = 0; k < levels.size(); k++) {
                    EffectRow e = byKey.get(o + "\u0000" + remedies.get(i) + "\u0000" + shownStratum(first, k, depthPart));
                    m[i][k] = e == null ? Double.NaN : e.diff().mean();
                    hw[i][k] = e == null ? Double.NaN : e.diff().halfWidth();
                    any |= e != null;
                }
            }
            if (!any) {
                continue;
            }
            String title = "effect on " + o.column() + " per " + first.name() + (depthPart.isEmpty() ? "" : " at depth " + maxDepth());
            figure(b, () -> Charts.bars(title, "Δ " + o.column() + " (decades)", levels, remedies, m, hw,
                    Math.max(600, Math.min(1200, 200 + 40 * remedies.size() * levels.size())), 440), title);
        }
        b.append("</div>\n");
        String sql = "SELECT axis, level, stratum, mean_diff, ci_low, ci_high FROM effects WHERE kind = 'conditional'";
        leftOut(b, levels.size(), first.levels().size(), "levels of " + first.name() + " (conditional effects)", sql);
        leftOut(b, remedies.size(), allRemedies.size(), "remedy levels (conditional effects)", sql);
    }

    /** ", depth=D" (the deepest depth) when depth varies and is not the first axis, else "". */
    private static String depthPart(List<AxisLevels> axes, int maxDepth) {
        boolean depth = axes.stream().anyMatch(a -> a.name().equals("depth"));
        return depth && !axes.get(0).name().equals("depth") ? ", depth=" + maxDepth : "";
    }

    private static String shownStratum(AxisLevels first, int level, String depthPart) {
        return first.name() + "=" + first.levels().get(level) + depthPart;
    }

    /**
     * The strata whose conditional effects the report shows (each of the first {@link #MAX_PANELS} levels of the
     * first axis, at the deepest depth when depth varies): the analysis collects these conditional rows and leaves the others in the effects dataset.
     *
     * @param maxDepth the deepest depth of any combination ({@link ComparisonSample#maxDepth})
     */
    static java.util.Set<String> shownStrata(List<AxisLevels> axes, int maxDepth) {
        if (axes.size() < 2) {
            return java.util.Set.of();
        }
        String depthPart = depthPart(axes, maxDepth);
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (int k = 0; k < Math.min(MAX_PANELS, axes.get(0).levels().size()); k++) {
            out.add(shownStratum(axes.get(0), k, depthPart));
        }
        return out;
    }

    private String effectsTable(List<EffectRow> rows) {
        StringBuilder t = new StringBuilder("<div class=\"scroll\"><table><thead><tr><th>kind</th><th>outcome</th><th>change</th>")
                .append("<th>stratum / interaction</th><th>pairs</th><th>mean diff</th><th>95% CI</th></tr></thead><tbody>");
        for (EffectRow e : rows) {
            String with = e.kind().equals(EffectRow.INTERACTION)
                    ? "× " + e.byAxis() + ": " + e.byBaseline() + "→" + e.byLevel() : e.stratum();
            t.append("<tr><td>").append(e.kind()).append("</td><td>").append(e.outcome().column()).append("</td><td>")
                    .append(esc(e.axis() + ": " + e.baseline() + "→" + e.level())).append("</td><td>").append(esc(with))
                    .append("</td><td class=\"n\">").append(e.nPairs()).append("</td><td class=\"n\">").append(f2(e.diff().mean()))
                    .append("</td><td class=\"n\">").append(ci(e.diff())).append("</td></tr>");
        }
        return t.append("</tbody></table></div>\n").toString();
    }

    private void ranking(StringBuilder b) {
        // The share of clipped steps says how hard a clipping rule worked; without a clip axis it is 0 everywhere.
        boolean clipAxis = hasAxis("clip");
        b.append("<section id=\"ranking\"><h2>Ranked combinations</h2>\n<p class=\"note\">")
                .append(esc(Comparison.RANKING_RULE)).append(". Values are means over seeds with ± the half-width of ")
                .append("their 95% intervals; test accuracy shows the interval's ends, clipped to [0, 1].</p>\n")
                .append("<div class=\"scroll tall\"><table><thead><tr><th>rank</th><th>combination</th><th>seeds</th>")
                .append("<th>failed</th><th>diverged</th><th>verdict</th><th>flow δ init</th><th>flow δ train</th>")
                .append("<th>flow ∂W train</th><th>slope init</th><th>final train loss</th><th>test accuracy</th>")
                .append("<th>steps to target</th>").append(clipAxis ? "<th>clipped steps</th>" : "")
                .append("</tr></thead><tbody>\n");
        List<ComparisonRow> ranked = in.comparison().ranked(MAX_RANKED);
        for (ComparisonRow r : ranked) {
            b.append("<tr><td class=\"n\">").append(r.rank()).append("</td><td>").append(esc(r.label()))
                    .append("</td><td class=\"n\">").append(r.nSeeds()).append("</td><td class=\"n\">").append(r.nFailed())
                    .append("</td><td class=\"n\">").append(r.nDiverged()).append("</td><td><span class=\"v ")
                    .append(r.majorityVerdict()).append("\">").append(r.majorityVerdict()).append("</span></td>");
            for (Outcome o : List.of(Outcome.FLOW_DELTA_INIT, Outcome.FLOW_DELTA_TRAIN, Outcome.FLOW_GRAD_TRAIN,
                    Outcome.DELTA_SLOPE_INIT, Outcome.FINAL_TRAIN_LOSS, Outcome.TEST_ACCURACY, Outcome.STEPS_TO_TARGET)) {
                Estimate e = r.estimate(o);
                b.append("<td class=\"n\">").append(o == Outcome.STEPS_TO_TARGET ? f0(e.mean()) : f2(e.mean()));
                if (o.bounded() && Double.isFinite(e.halfWidth())) {
                    // A ± half-width would run past the outcome's range: show the clipped interval's ends instead.
                    Estimate c = e.clipped(o.lowest(), o.highest());
                    b.append(" <small>[").append(f2(c.ciLow())).append(", ").append(f2(c.ciHigh())).append("]</small>");
                } else if (Double.isFinite(e.halfWidth())) {
                    b.append(" <small>±").append(o == Outcome.STEPS_TO_TARGET ? f0(e.halfWidth()) : f2(e.halfWidth())).append("</small>");
                }
                b.append("</td>");
            }
            if (clipAxis) {
                Estimate e = r.estimate(Outcome.CLIPPED_SHARE);
                b.append("<td class=\"n\">").append(f2(e.mean())).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</tbody></table></div>");
        leftOut(b, ranked.size(), in.comparison().combinations(), "combinations by rank",
                "SELECT rank, combination, majority_verdict, flow_log10_delta_init_mean, test_accuracy_mean FROM comparison ORDER BY rank");
        b.append("</section>\n");
    }

    private void failures(StringBuilder b) {
        List<TrialRow> bad = in.trials().failures();
        b.append("<section id=\"failures\"><h2>Failures and divergences</h2>\n");
        if (bad.isEmpty()) {
            b.append("<p class=\"empty\">No trial failed or diverged.</p></section>\n");
            return;
        }
        b.append("<div class=\"scroll tall\"><table><thead><tr><th>trial</th><th>combination</th><th>seed</th><th>verdict</th>")
                .append("<th>error</th></tr></thead><tbody>\n");
        for (TrialRow t : bad) {
            b.append("<tr><td><code>").append(esc(t.trialId())).append("</code></td><td>")
                    .append(esc(Comparison.label(t, in.axes()))).append("</td><td class=\"n\">").append(t.seed())
                    .append("</td><td><span class=\"v ").append(t.verdict()).append("\">").append(t.verdict())
                    .append("</span></td><td>").append(esc(t.errorMessage() == null ? "" : t.errorMessage()));
            if (t.errorStack() != null && !t.errorStack().isBlank()) {
                b.append("<details><summary>stack trace</summary><pre>").append(esc(t.errorStack())).append("</pre></details>");
            }
            b.append("</td></tr>\n");
        }
        b.append("</tbody></table></div>");
        long more = in.trials().failureCount() - bad.size();
        if (more > 0) {
            b.append("<p class=\"note\">… and ").append(more).append(" more; all of them: <code>gradflow sql SWEEP \"SELECT * FROM trials ")
                    .append("WHERE verdict IN ('FAILED', 'DIVERGED')\"</code>.</p>");
        }
        b.append("</section>\n");
    }

    // ---------------------------------------------------------------- panels

    /** One small multiple: a title and the lines it compares (label → combination). */
    record Panel(String title, Map<String, ComparisonRow> lines) {
    }

    /**
     * The panels drawn (at most {@link #MAX_PANELS}) out of how many the sweep has (the first axis' levels), and how
     * many lines the busiest panel had before {@link #MAX_LINES} cut it.
     */
    record Panels(List<Panel> shown, int total, int mostLines) {

        void note(StringBuilder b, String sql) {
            leftOut(b, shown.size(), total, "panels", sql);
            leftOut(b, MAX_LINES, mostLines, "lines of a panel", sql);
        }
    }

    /**
     * Panels per level of the first axis (if at least two axes vary), at the deepest depth when depth varies;
     * lines: the baseline of the other axes and each single switch away from it.
     */
    Panels panels() {
        List<AxisLevels> axes = in.axes();
        List<Panel> out = new ArrayList<>();
        if (axes.isEmpty()) {
            if (!in.comparison().rows().isEmpty()) {
                out.add(new Panel("all trials", Map.of("all", in.comparison().rows().get(0))));
            }
            return new Panels(out, out.size(), 1);
        }
        // the same definitions as the rows ComparisonSample keeps for these panels: its rows hold each panel's lines
        boolean depthFixed = ComparisonSample.depthFixed(axes);
        AxisLevels panelAxis = ComparisonSample.panelAxis(axes);
        List<String> levels = panelAxis == null ? List.of("") : panelAxis.levels();
        for (Map.Entry<String, Map<String, ComparisonRow>> panel
                : ComparisonSample.panelLines(in.comparison().rows(), axes, maxDepth(), MAX_PANELS).entrySet()) {
            Map<String, ComparisonRow> lines = panel.getValue();
            if (lines.size() > MAX_LINES) {
                Map<String, ComparisonRow> first = new LinkedHashMap<>();
                lines.entrySet().stream().limit(MAX_LINES).forEach(e -> first.put(e.getKey(), e.getValue()));
                lines = first;
            }
            String title = (panelAxis == null ? "all" : panelAxis.name() + "=" + panel.getKey())
                    + (depthFixed ? " · depth " + maxDepth() : "");
            out.add(new Panel(title, lines));
        }
        int mostLines = in.comparison().mostLines();
        return new Panels(out, Math.max(out.size(), levels.size()), mostLines);
    }

    private String panelNote() {
        if (in.axes().isEmpty()) {
            return "The sweep varies no axis.";
        }
        AxisLevels first = in.axes().stream().filter(a -> !a.name().equals("depth")).findFirst().orElse(in.axes().get(0));
        String depth = hasAxis("depth") && in.axes().size() > 1 ? " at the deepest depth (" + maxDepth() + ")" : "";
        return in.axes().size() >= 2
                ? "One panel per " + first.name() + depth + "; the dashed black line is the baseline (every other axis at its "
                + "first level), each coloured line switches one axis to another level."
                : "One line per level of " + in.axes().get(0).name() + "; the dashed black line is the baseline.";
    }

    private boolean hasAxis(String name) {
        return in.axes().stream().anyMatch(a -> a.name().equals(name));
    }

    private int maxDepth() {
        return in.comparison().maxDepth();
    }

    // ---------------------------------------------------------------- html helpers

    /**
     * A figure whose chart renders on {@link #pool} while the rest of the report is built: its place in the HTML is a
     * token that {@link #resolveCharts} replaces. Rendering (XChart, PNG encoding) was about 2.5 s of the quick
     * grid's report on one thread (BENCHMARKS.md); the charts are independent, and the bytes do not depend on the
     * order they are drawn in.
     */
    private void figure(StringBuilder b, java.util.function.Supplier<Charts.Png> png, String alt) {
        b.append("<figure class=\"chart\"><img alt=\"").append(esc(alt)).append("\" ")
                .append(CHART_TOKEN).append(charts).append(CHART_TOKEN).append("></figure>");
        pending.add(pool().submit(png::get));
        charts++;
    }

    /** Marks a chart's place; esc() never emits it (it is not a character HTML text can hold). */
    private static final char CHART_TOKEN = '\u0000';

    private final List<java.util.concurrent.Future<Charts.Png>> pending = new ArrayList<>();
    private java.util.concurrent.ExecutorService pool;

    private java.util.concurrent.ExecutorService pool() {
        if (pool == null) {
            int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
            pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "gradflow-report-chart");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /** {@code body} with every chart token replaced by its rendered image's attributes. */
    private String resolveCharts(StringBuilder body) {
        StringBuilder out = new StringBuilder(body.length() + 1024);
        int i = 0;
        while (i < body.length()) {
            int a = body.indexOf(String.valueOf(CHART_TOKEN), i);
            if (a < 0) {
                out.append(body, i, body.length());
                break;
            }
            int z = body.indexOf(String.valueOf(CHART_TOKEN), a + 1);
            out.append(body, i, a);
            Charts.Png png = rendered(Integer.parseInt(body.substring(a + 1, z)));
            out.append("width=\"").append(png.width()).append("\" height=\"").append(png.height())
                    .append("\" src=\"data:image/png;base64,").append(png.base64()).append('"');
            i = z + 1;
        }
        return out.toString();
    }

    private Charts.Png rendered(int index) {
        try {
            return pending.get(index).get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("a chart could not be drawn: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the report's charts were drawn", e);
        }
    }

    private static void card(StringBuilder b, String big, String small) {
        b.append("<div class=\"card\"><div class=\"big\">").append(big).append("</div><div>").append(small).append("</div></div>");
    }

    private static void kv(StringBuilder b, String k, String v) {
        b.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String f2(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "–";
    }

    static String f0(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.0f", v) : "–";
    }

    static String ci(Estimate e) {
        return Double.isFinite(e.ciLow()) ? "[" + f2(e.ciLow()) + ", " + f2(e.ciHigh()) + "]" : "–";
    }

    static String fmtDuration(double seconds) {
        return Durations.clock(Math.round(seconds * 1000));
    }

    /**
     * The sweep's wall time as the manifest records it ({@code wall_time_ms}, the value the sweep's summary printed);
     * for manifests written before that field, {@code finished_at − started_at}; −1 when neither is readable.
     */
    static long wallTimeMillis(Map<String, Object> manifest) {
        Object ms = manifest.get("wall_time_ms");
        if (ms instanceof Number n) {
            return n.longValue();
        }
        Object started = manifest.get("started_at");
        Object finished = manifest.get("finished_at");
        if (started == null || finished == null) {
            return -1;
        }
        try {
            return java.time.Instant.parse(finished.toString()).toEpochMilli()
                    - java.time.Instant.parse(started.toString()).toEpochMilli();
        } catch (RuntimeException e) {
            return -1; // an unreadable manifest time only loses this card
        }
    }

    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
            header{background:#1d2330;color:#fff;padding:14px 28px;position:sticky;top:0;z-index:2}
            header h1{margin:0 0 6px;font-size:20px;font-weight:600}
            nav a{color:#b8c7ff;margin-right:16px;text-decoration:none;font-size:13px}
            main{padding:8px 28px 40px;max-width:1680px}
            section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:12px 20px 18px;margin:18px 0}
            h2{font-size:18px;margin:6px 0 8px}h3{font-size:15px;margin:14px 0 6px;color:#3a4254}
            .note{color:#545c6b;max-width:1100px}.empty{color:#777;font-style:italic}
            .cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 12px}
            .card{border:1px solid #e3e6ea;border-radius:6px;padding:8px 14px;min-width:110px;background:#fbfcfd}
            .card .big{font-size:22px;font-weight:600}
            .grid{display:flex;flex-wrap:wrap;gap:12px}.row{display:flex;flex-wrap:wrap;gap:12px}
            figure.chart{margin:0;border:1px solid #eceef1;border-radius:4px;background:#fff}
            figure.chart img{display:block;max-width:100%;height:auto}
            table{border-collapse:collapse;font-size:12.5px}th,td{padding:3px 8px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}
            thead th{position:sticky;top:0;background:#f0f2f5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
            table.kv th{color:#545c6b;font-weight:500}
            .scroll{overflow:auto;max-height:420px;border:1px solid #eceef1}.scroll.tall{max-height:640px}
            .v{padding:1px 6px;border-radius:3px;font-size:11.5px;font-weight:600}
            .HEALTHY{background:#dff3e4;color:#17612c}.VANISHING{background:#e0e8fb;color:#203f8f}.EXPLODING{background:#fde6d6;color:#8a3a0b}
            .DIVERGED{background:#fbe0e6;color:#8d1838}.FAILED{background:#eee;color:#333}
            pre{white-space:pre-wrap;font-size:11px;max-height:300px;overflow:auto}small{color:#6b7280}
            """;
}
