package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.gradflow.analysis.Rows.settings;
import static io.gradflow.analysis.Rows.trial;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rows the report draws: a bounded sample of a comparison of any size, from which the report is the same as from
 * every row, so that the driver never needs the rest (the Spark path chooses the same rows: AnalysisIT).
 */
class ComparisonSampleTest {

    /** learning_rate × batch_size × depth, one seed each; profiles and curves of every combination. */
    private record Sweep(List<AxisLevels> axes, List<TrialRow> trials, Map<String, Profiles.Profile> profiles,
                         Map<String, TreeMap<Integer, Double>> losses) {
    }

    private static Sweep sweep(int rates, int batches) {
        List<String> r = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 1; i <= rates; i++) {
            r.add(Double.toString(0.01 * i));
        }
        for (int j = 1; j <= batches; j++) {
            b.add(Integer.toString(j));
        }
        List<AxisLevels> axes = List.of(new AxisLevels("learning_rate", r), new AxisLevels("batch_size", b),
                new AxisLevels("depth", List.of("2", "3")));
        List<TrialRow> trials = new ArrayList<>();
        List<Profiles.BlockDelta> deltas = new ArrayList<>();
        List<Profiles.LossPoint> losses = new ArrayList<>();
        for (int i = 0; i < rates; i++) {
            for (int j = 0; j < batches; j++) {
                for (int depth : List.of(2, 3)) {
                    Map<String, Object> s = settings("relu", "he", false, false, depth);
                    s.put("learning_rate", 0.01 * (i + 1));
                    s.put("batch_size", j + 1);
                    // scattered accuracies, so that the best ranks are spread over the grid
                    TrialRow t = trial(s, 1, (i * 7 + j) % 5 == 0 ? "VANISHING" : "HEALTHY", -0.01 * (i + j) - depth,
                            ((i * 37 + j * 11 + depth) % 101) / 101.0, 1.0 - 0.001 * j);
                    trials.add(t);
                    for (int k = 1; k <= depth; k++) {
                        deltas.add(new Profiles.BlockDelta(t.trialId(), false, k, Math.pow(10, -depth + k - 0.01 * i)));
                        deltas.add(new Profiles.BlockDelta(t.trialId(), true, k, Math.pow(10, -depth + 0.5 * k + 0.01 * j)));
                    }
                    losses.add(new Profiles.LossPoint(t.trialId(), 0, 1.1));
                    losses.add(new Profiles.LossPoint(t.trialId(), 10, 0.9 - 0.001 * i));
                }
            }
        }
        return new Sweep(axes, trials, Profiles.meanLog10Delta(trials, deltas), Profiles.meanLoss(trials, losses));
    }

    private static <V> Map<String, V> only(Map<String, V> all, Set<String> ids) {
        Map<String, V> out = new LinkedHashMap<>(all);
        out.keySet().retainAll(ids);
        return out;
    }

    @Test
    void theReportFromTheSampleAndOnlyItsProfilesIsTheReportFromEveryRow() {
        // 30 × 100 × 2 = 6,000 combinations: 200 per depth (split by learning rate: 100 columns per panel, over 80)
        Sweep s = sweep(30, 100);
        List<ComparisonRow> all = Comparison.compute(s.trials(), s.axes());
        List<EffectRow> effects = Effects.compute(s.trials(), s.axes());
        ComparisonSample sample = ComparisonSample.of(all, s.axes(), ComparisonSample.REPORT);

        assertThat(sample.combinations()).isEqualTo(6_000);
        assertThat(sample.maxDepth()).isEqualTo(3);
        // 60 panels of 100 columns: 24 × 80 heatmap columns, the 500 best, 24 panels' lines (at most 24 each)
        assertThat(sample.facets()).hasSize(60).allMatch(f -> f.columns() == 100 && f.splitAxis().equals("learning_rate"));
        assertThat(sample.facets().get(0).title()).isEqualTo("depth 2 · learning_rate=0.01");
        assertThat(sample.rows()).hasSizeLessThanOrEqualTo(Report.MAX_RANKED + 24 * 80 + 24 * 24)
                .hasSizeGreaterThan(Report.MAX_RANKED);
        assertThat(sample.rows()).isSortedAccordingTo(java.util.Comparator.comparingInt(ComparisonRow::rank));
        assertThat(sample.rows().subList(0, Report.MAX_RANKED)).isEqualTo(all.subList(0, Report.MAX_RANKED));
        assertThat(sample.mostLines()).isEqualTo(1 + 99);

        Set<String> drawn = new HashSet<>();
        sample.rows().forEach(r -> drawn.add(r.combinationId()));
        TrialSummary trials = TrialSummary.of(s.trials());
        String fromAll = Report.render(new Report.Input("many", Map.of(), trials, s.axes(), all, effects, s.profiles(),
                s.losses(), List.of()));
        String fromSample = Report.render(new Report.Input("many", Map.of(), trials, s.axes(), sample, effects,
                only(s.profiles(), drawn), only(s.losses(), drawn), List.of()));
        assertThat(fromSample).isEqualTo(fromAll);
        assertThat(fromAll).contains("The first 80 of 100 columns (in grid order) of the widest heatmap panel are shown")
                .contains("The first 24 of 60 heatmap panels are shown")
                .contains("The first 500 of 6000 combinations by rank are shown")
                .contains("The first 24 of 100 lines of a panel are shown");
    }

    @Test
    void aGridThatFitsEveryCapIsSampledWhole() {
        Sweep s = sweep(3, 4);
        List<ComparisonRow> all = Comparison.compute(s.trials(), s.axes());
        ComparisonSample sample = ComparisonSample.of(all, s.axes(), ComparisonSample.REPORT);
        assertThat(sample.rows()).isEqualTo(all).hasSize(24);
        assertThat(sample.facets()).extracting(ComparisonSample.Facet::title).containsExactly("depth 2", "depth 3");
        assertThat(sample.facets()).extracting(ComparisonSample.Facet::columns).containsExactly(12L, 12L);
        // the profile panels: one per learning rate at depth 3, the batch-size baseline and its 3 other levels
        assertThat(sample.mostLines()).isEqualTo(4);
    }

    @Test
    void capsMustBePositive() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ComparisonSample.Caps(1, 0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("caps must be positive; they are 1, 0, 1, 1");
    }
}
