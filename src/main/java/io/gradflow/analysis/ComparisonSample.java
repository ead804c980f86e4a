package io.gradflow.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The comparison as the report reads it: how many combinations there are, and only the rows it draws. A grid of
 * 10^6 combinations has 10^6 comparison rows (about 2 KB each on the driver), but the report draws a bounded
 * number of them: the {@link Caps#ranked} best, the first {@link Caps#columns} columns (in grid order) of each of
 * the first {@link Caps#panels} heatmap panels, and the baseline with each single switch away from it that the
 * profile and loss panels compare. {@link #of} chooses them from every row (the pure definition); Spark chooses
 * the same rows where the comparison is ({@code SparkAnalysis.sample}), so the driver never holds the rest.
 *
 * @param combinations every combination of the sweep
 * @param maxDepth     the deepest depth of any combination
 * @param rows         the rows drawn, by rank
 * @param facets       every heatmap panel in the order the report draws them, with its number of columns
 * @param mostLines    the most lines of any profile panel drawn, before {@link Caps#lines} cut them
 */
public record ComparisonSample(long combinations, int maxDepth, List<ComparisonRow> rows, List<Facet> facets, int mostLines) {

    public ComparisonSample {
        rows = List.copyOf(rows);
        facets = List.copyOf(facets);
    }

    /**
     * How much of the comparison the report draws.
     *
     * @param panels  heatmap panels drawn
     * @param columns columns of one heatmap panel
     * @param lines   lines of one profile or loss panel (its panels are at most {@code panels} too)
     * @param ranked  rows of the ranking table
     */
    public record Caps(int panels, int columns, int lines, int ranked) {
        public Caps {
            if (panels < 1 || columns < 1 || lines < 1 || ranked < 1) {
                throw new IllegalArgumentException("caps must be positive; they are " + panels + ", " + columns + ", "
                        + lines + ", " + ranked);
            }
        }
    }

    /** The report's own caps. */
    public static final Caps REPORT = new Caps(Report.MAX_PANELS, Report.MAX_COLUMNS, Report.MAX_LINES, Report.MAX_RANKED);

    /**
     * One heatmap panel: the combinations of one depth, or of one depth and one level of the first other axis when a
     * depth has more than {@link Caps#columns} combinations.
     *
     * @param title      e.g. {@code depth 20} or {@code depth 20 · activation=tanh}
     * @param depth      the depth's value as in {@code trials}
     * @param splitAxis  the axis that splits the depth, or null
     * @param splitLevel its level (as text), or null
     * @param columns    the panel's combinations, drawn or not
     */
    public record Facet(String title, Object depth, String splitAxis, String splitLevel, long columns) {
        public Facet {
            Objects.requireNonNull(title, "title");
        }

        /** Whether the combination belongs to this panel. */
        boolean holds(ComparisonRow r) {
            return Objects.equals(r.settings().get("depth"), depth)
                    && (splitAxis == null || String.valueOf(r.settings().get(splitAxis)).equals(splitLevel));
        }
    }

    /**
     * The axis that splits a depth panel of too many columns: the first varied axis other than depth, or null.
     */
    static AxisLevels splitAxis(List<AxisLevels> axes) {
        return axes.stream().filter(a -> !a.name().equals("depth")).findFirst().orElse(null);
    }

    /**
     * The axis whose levels make the profile and loss panels (at least two axes vary), else null; the lines of a
     * panel are the other axes' baseline and each single switch away from it ({@link Profiles#remedyLines}).
     */
    static AxisLevels panelAxis(List<AxisLevels> axes) {
        return axes.size() >= 2 ? splitAxis(axes) : null;
    }

    /** Whether the profile and loss panels hold depth at its deepest value (depth varies, and another axis too). */
    static boolean depthFixed(List<AxisLevels> axes) {
        return axes.size() > 1 && axes.stream().anyMatch(a -> a.name().equals("depth"));
    }

    /** The axes compared inside a profile or loss panel. */
    static List<AxisLevels> compared(List<AxisLevels> axes) {
        AxisLevels panel = panelAxis(axes);
        boolean depthFixed = depthFixed(axes);
        return axes.stream().filter(a -> a != panel && !(depthFixed && a.name().equals("depth"))).toList();
    }

    /**
     * The rows drawn, chosen from every row of the comparison.
     *
     * @param all  every combination, by rank
     * @param axes the varied axes in grid order
     * @param caps how much the report draws ({@link #REPORT} for the report itself)
     */
    public static ComparisonSample of(List<ComparisonRow> all, List<AxisLevels> axes, Caps caps) {
        int maxDepth = maxDepth(all);
        List<ComparisonRow> ordered = new ArrayList<>(all);
        // stable: ties in grid order keep their rank order
        ordered.sort(Comparison.gridOrder(axes));
        Map<Object, List<ComparisonRow>> byDepth = new LinkedHashMap<>();
        for (ComparisonRow r : ordered) {
            byDepth.computeIfAbsent(r.settings().get("depth"), k -> new ArrayList<>()).add(r);
        }
        AxisLevels split = splitAxis(axes);
        List<Facet> facets = new ArrayList<>();
        byDepth.forEach((depth, rows) -> {
            String title = "depth " + depth;
            if (rows.size() <= caps.columns() || split == null) {
                facets.add(new Facet(title, depth, null, null, rows.size()));
            } else {
                Map<String, Long> perLevel = new LinkedHashMap<>();
                rows.forEach(r -> perLevel.merge(String.valueOf(r.settings().get(split.name())), 1L, Long::sum));
                for (String level : split.levels()) {
                    Long n = perLevel.get(level);
                    if (n != null) {
                        facets.add(new Facet(title + " · " + split.name() + "=" + level, depth, split.name(), level, n));
                    }
                }
            }
        });
        Set<String> drawn = new LinkedHashSet<>();
        all.stream().limit(caps.ranked()).forEach(r -> drawn.add(r.combinationId()));
        for (Facet f : facets.subList(0, Math.min(caps.panels(), facets.size()))) {
            ordered.stream().filter(f::holds).limit(caps.columns()).forEach(r -> drawn.add(r.combinationId()));
        }
        int mostLines = 0;
        for (Map<String, ComparisonRow> lines : panelLines(all, axes, maxDepth, caps.panels()).values()) {
            mostLines = Math.max(mostLines, lines.size());
            lines.values().stream().limit(caps.lines()).forEach(r -> drawn.add(r.combinationId()));
        }
        List<ComparisonRow> rows = all.stream().filter(r -> drawn.contains(r.combinationId())).toList();
        return new ComparisonSample(all.size(), maxDepth, rows, facets, mostLines);
    }

    /**
     * The lines of each profile and loss panel, every one of them (not cut to {@link Caps#lines}): per level of the
     * panel axis (one panel without it), the first {@code panels} levels that have any, at the deepest depth when
     * depth varies too; lines are the baseline of the compared axes and each single switch away from it
     * ({@link Profiles#remedyLines}, the first match in {@code rows}' order).
     *
     * @param rows by rank
     * @return panel axis level ("" without a panel axis) → lines
     */
    static Map<String, Map<String, ComparisonRow>> panelLines(List<ComparisonRow> rows, List<AxisLevels> axes, int maxDepth,
                                                              int panels) {
        Map<String, Map<String, ComparisonRow>> out = new LinkedHashMap<>();
        if (axes.isEmpty()) {
            return out;
        }
        AxisLevels panelAxis = panelAxis(axes);
        List<AxisLevels> compared = compared(axes);
        Map<String, String> fixed = new LinkedHashMap<>();
        if (depthFixed(axes)) {
            fixed.put("depth", Integer.toString(maxDepth));
        }
        for (String level : panelAxis == null ? List.of("") : panelAxis.levels()) {
            if (out.size() == panels) {
                break;
            }
            Map<String, String> f = new LinkedHashMap<>(fixed);
            if (panelAxis != null) {
                f.put(panelAxis.name(), level);
            }
            Map<String, ComparisonRow> lines = Profiles.remedyLines(rows, compared, f);
            if (!lines.isEmpty()) {
                out.put(level, lines);
            }
        }
        return out;
    }

    static int maxDepth(List<ComparisonRow> rows) {
        return rows.stream().mapToInt(r -> ((Number) r.settings().get("depth")).intValue()).max().orElse(0);
    }

    /** The rows of the ranking table: the {@code n} best. */
    List<ComparisonRow> ranked(int n) {
        return rows.stream().filter(r -> r.rank() <= n).toList();
    }

    /** A panel's drawn columns in grid order (ties by rank). */
    List<ComparisonRow> columns(Facet f, List<AxisLevels> axes, int n) {
        List<ComparisonRow> out = new ArrayList<>(rows.stream().filter(f::holds).toList());
        out.sort(Comparison.gridOrder(axes));
        return out.subList(0, Math.min(n, out.size()));
    }
}
