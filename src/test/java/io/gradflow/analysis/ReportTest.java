package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.gradflow.analysis.Rows.settings;
import static io.gradflow.analysis.Rows.trial;
import static org.assertj.core.api.Assertions.assertThat;

/** The report from hand-made rows: every section, every chart a decodable PNG, faceting, escaping. */
class ReportTest {

    @Test
    void everySectionIsPresentAndEveryChartIsADecodablePng() throws Exception {
        List<AxisLevels> axes = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")),
                new AxisLevels("batchnorm", List.of("false", "true")), new AxisLevels("depth", List.of("2", "3")));
        List<TrialRow> trials = new ArrayList<>();
        List<Profiles.BlockDelta> deltas = new ArrayList<>();
        List<Profiles.LossPoint> losses = new ArrayList<>();
        for (String act : List.of("sigmoid", "relu")) {
            for (boolean bn : List.of(false, true)) {
                for (int depth : List.of(2, 3)) {
                    for (long seed : List.of(1L, 2L)) {
                        boolean fail = act.equals("relu") && bn && depth == 3 && seed == 2;
                        TrialRow t = trial(settings(act, "xavier", bn, false, depth), seed, fail ? "FAILED" : "HEALTHY",
                                fail ? Double.NaN : -depth * (act.equals("sigmoid") ? 0.6 : 0.1), 0.5, 1.0);
                        trials.add(t);
                        if (!fail) {
                            for (int b = 1; b <= depth; b++) {
                                deltas.add(new Profiles.BlockDelta(t.trialId(), false, b, Math.pow(10, -depth + b)));
                                deltas.add(new Profiles.BlockDelta(t.trialId(), true, b, Math.pow(10, -depth + b * 0.5)));
                            }
                            for (int s = 0; s < 20; s += 5) {
                                losses.add(new Profiles.LossPoint(t.trialId(), s, 1.1 - 0.02 * s));
                            }
                        }
                    }
                }
            }
        }
        List<ComparisonRow> comparison = Comparison.compute(trials, axes);
        List<EffectRow> effects = Effects.compute(trials, axes);
        String html = Report.render(new Report.Input("hand <made>", Map.of("master", "local[2]"), trials, axes, comparison,
                effects, Profiles.meanLog10Delta(trials, deltas), Profiles.meanLoss(trials, losses)));

        assertThat(html).contains("gradflow report: hand &lt;made&gt;").doesNotContain("hand <made>");
        for (String id : List.of("overview", "heatmaps", "profiles", "losses", "effects", "ranking", "failures")) {
            assertThat(html).contains("<section id=\"" + id + "\">");
        }
        // heatmaps: 2 depth facets × 2; profiles: 2 activations × 2; losses: 2; main effects: 3; conditional: 2
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int n = 0;
        while (m.find()) {
            var img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertThat(img).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(400);
            int inked = 0;
            for (int y = 0; y < img.getHeight(); y += 2) {
                for (int x = 0; x < img.getWidth(); x += 2) {
                    inked += (img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF ? 1 : 0;
                }
            }
            assertThat(inked).as("chart %d is not blank", n).isGreaterThan(img.getWidth() * img.getHeight() / 4 / 50);
            n++;
        }
        assertThat(n).isEqualTo(15);
        assertThat(html).doesNotContain("\u0000"); // every chart's place was filled
        // The charts render on several threads; the page is the same bytes every time.
        assertThat(Report.render(new Report.Input("hand <made>", Map.of("master", "local[2]"), trials, axes, comparison,
                effects, Profiles.meanLog10Delta(trials, deltas), Profiles.meanLoss(trials, losses)))).isEqualTo(html);
        if (Boolean.getBoolean("gradflow.report.keep")) {
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "report-test.html"), html);
        }
        assertThat(html).contains("data-charts=\"15\"");
        assertThat(html).contains("activation=relu · depth 3").contains("depth 2").contains("boom");
        assertThat(html).contains("<td class=\"n\">1</td><td>activation=");
    }

    @Test
    void aGridOfManyCombinationsGetsAReportOfBoundedSizeThatSaysWhatItLeftOut() {
        // 32 learning rates × 32 batch sizes × 2 depths, one seed: 2,048 combinations, every section over its cap.
        List<String> rates = new ArrayList<>();
        List<String> batches = new ArrayList<>();
        for (int i = 1; i <= 32; i++) {
            rates.add(Double.toString(0.01 * i));
            batches.add(Integer.toString(i));
        }
        List<AxisLevels> axes = List.of(new AxisLevels("learning_rate", rates), new AxisLevels("batch_size", batches),
                new AxisLevels("depth", List.of("2", "3")));
        List<TrialRow> trials = new ArrayList<>();
        List<Profiles.BlockDelta> deltas = new ArrayList<>();
        List<Profiles.LossPoint> losses = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 32; j++) {
                for (int depth : List.of(2, 3)) {
                    Map<String, Object> s = settings("relu", "he", false, false, depth);
                    s.put("learning_rate", 0.01 * (i + 1));
                    s.put("batch_size", j + 1);
                    TrialRow t = trial(s, 1, "HEALTHY", -0.01 * (i + j) - depth, 0.5 + 0.01 * i, 1.0 - 0.01 * j);
                    trials.add(t);
                    for (int b = 1; b <= depth; b++) {
                        deltas.add(new Profiles.BlockDelta(t.trialId(), false, b, Math.pow(10, -depth + b)));
                        deltas.add(new Profiles.BlockDelta(t.trialId(), true, b, Math.pow(10, -depth + 0.5 * b)));
                    }
                    losses.add(new Profiles.LossPoint(t.trialId(), 0, 1.1));
                    losses.add(new Profiles.LossPoint(t.trialId(), 10, 0.9 - 0.001 * i));
                }
            }
        }
        List<ComparisonRow> comparison = Comparison.compute(trials, axes);
        List<EffectRow> effects = Effects.compute(trials, axes);
        String html = Report.render(new Report.Input("many", Map.of(), trials, axes, comparison, effects,
                Profiles.meanLog10Delta(trials, deltas), Profiles.meanLoss(trials, losses)));

        assertThat(figures(html, "heatmaps")).isEqualTo(2 * Report.MAX_PANELS);
        assertThat(html).contains("The first 24 of 64 heatmap panels are shown");
        assertThat(figures(html, "profiles")).isEqualTo(2 * Report.MAX_PANELS);
        assertThat(figures(html, "losses")).isEqualTo(Report.MAX_PANELS);
        assertThat(html).contains("The first 24 of 32 panels are shown").contains("The first 24 of 32 lines of a panel are shown");
        assertThat(html).contains("The first 60 of 63 main effects of a chart are shown")
                .contains("The first 24 of 32 levels of learning_rate (conditional effects) are shown")
                .contains("The first 24 of 31 remedy levels (conditional effects) are shown");
        String ranking = section(html, "ranking");
        assertThat(ranking.split("<tr><td class=\"n\">", -1).length - 1).isEqualTo(Report.MAX_RANKED);
        assertThat(ranking).contains("The first 500 of 2048 combinations by rank are shown");
        assertThat(Report.shownStrata(axes, ComparisonSample.maxDepth(comparison))).hasSize(Report.MAX_PANELS).contains("learning_rate=0.01, depth=3");
        assertThat(html.length()).isLessThan(20_000_000);
        // a sweep within every cap says nothing was left out
        assertThat(overviewReport()).doesNotContain(" are shown; the datasets hold all of them");
    }

    private static String section(String html, String id) {
        int at = html.indexOf("<section id=\"" + id + "\">");
        return html.substring(at, html.indexOf("</section>", at));
    }

    private static int figures(String html, String id) {
        return section(html, id).split("<figure", -1).length - 1;
    }

    /** Two activations × two depths × three seeds, accuracies near 1, a loss curve of 2000 steps. */
    private static String overviewReport() {
        List<AxisLevels> axes = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")),
                new AxisLevels("depth", List.of("2", "3")));
        List<TrialRow> trials = new ArrayList<>();
        List<Profiles.BlockDelta> deltas = new ArrayList<>();
        List<Profiles.LossPoint> losses = new ArrayList<>();
        for (String act : List.of("sigmoid", "relu")) {
            for (int depth : List.of(2, 3)) {
                for (long seed : List.of(1L, 2L, 3L)) {
                    TrialRow t = trial(settings(act, "xavier", false, false, depth), seed, "HEALTHY",
                            -0.2 * depth, act.equals("relu") ? 0.99 + 0.005 * seed : 0.6 + 0.1 * seed, 0.3);
                    trials.add(t);
                    for (int b = 1; b <= depth; b++) {
                        deltas.add(new Profiles.BlockDelta(t.trialId(), false, b, Math.pow(10, -3.0 + b)));
                        deltas.add(new Profiles.BlockDelta(t.trialId(), true, b, Math.pow(10, -2.0 + b * 0.5)));
                    }
                    for (int step = 0; step <= 2000; step += 10) {
                        losses.add(new Profiles.LossPoint(t.trialId(), step, 1.1 / (1 + step / 200.0)));
                    }
                }
            }
        }
        List<ComparisonRow> comparison = Comparison.compute(trials, axes);
        return Report.render(new Report.Input("overview", Map.of("wall_time_ms", 83_400), trials, axes, comparison,
                Effects.compute(trials, axes), Profiles.meanLog10Delta(trials, deltas), Profiles.meanLoss(trials, losses),
                List.of("spirals(samples=2000,classes=3,features=2,noise=0.1,test_fraction=0.2,seed=0)")));
    }

    @Test
    void theOverviewSaysWhatWasTrainedAndCountsEveryVerdict() throws Exception {
        String html = overviewReport();
        if (Boolean.getBoolean("gradflow.report.keep")) {
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "report-overview.html"), html);
        }
        String overview = html.substring(html.indexOf("<section id=\"overview\">"), html.indexOf("<section id=\"heatmaps\">"));
        assertThat(overview).contains("<th>dataset</th><td>spirals(samples=2000,classes=3,features=2,noise=0.1,test_fraction=0.2,seed=0)</td>")
                .contains("<th>width</th><td>16</td>").contains("<th>depth</th><td>2, 3 (varied)</td>")
                .contains("<th>steps</th><td>50</td>").contains("<th>batch size</th><td>32</td>")
                .contains("<th>optimizer</th><td>sgd</td>").contains("<th>learning rate</th><td>0.05</td>")
                .contains("<th>dtype</th><td>float</td>");
        for (String v : List.of("HEALTHY", "VANISHING", "EXPLODING", "DIVERGED", "FAILED")) {
            assertThat(overview).contains("<span class=\"v " + v + "\">" + v + "</span>");
        }
        assertThat(overview).contains("<div class=\"big\">1:23</div><div>sweep wall time</div>");
        assertThat(overview).contains("clipped to [0, 1]");
    }

    @Test
    void accuracyIntervalsAreClippedToZeroOneInTheRanking() {
        String html = overviewReport();
        String ranking = html.substring(html.indexOf("<section id=\"ranking\">"), html.indexOf("<section id=\"failures\">"));
        // relu: accuracies 0.995, 1.0, 1.005 (mean 1.0, sd 0.005): the t interval runs past 1 and is shown clipped.
        Matcher m = Pattern.compile("<small>\\[([0-9.]+), ([0-9.]+)\\]</small>").matcher(ranking);
        int n = 0;
        while (m.find()) {
            assertThat(Double.parseDouble(m.group(1))).isBetween(0.0, 1.0);
            assertThat(Double.parseDouble(m.group(2))).isBetween(0.0, 1.0);
            n++;
        }
        assertThat(n).isEqualTo(4);
        assertThat(ranking).contains(", 1.00]</small>").contains("clipped to [0, 1]");
        assertThat(Estimate.of(0.995, 1.0, 1.005).ciHigh()).isGreaterThan(1);
        assertThat(Estimate.of(0.995, 1.0, 1.005).clipped(0, 1).ciHigh()).isEqualTo(1.0);
    }

    @Test
    void theEffectsTableSaysHowToReadAnInteraction() {
        String html = overviewReport();
        String effects = html.substring(html.indexOf("<section id=\"effects\">"), html.indexOf("<section id=\"ranking\">"));
        assertThat(effects).contains("<td>interaction</td>").contains("How to read a row")
                .contains("difference of differences");
    }

    @Test
    void aSweepWhereEveryTrialFailedStillGetsAReportThatSaysSo() {
        List<AxisLevels> axes = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")));
        List<TrialRow> trials = List.of(
                trial(settings("sigmoid", "xavier", false, false, 3), 1, "FAILED", Double.NaN, Double.NaN, Double.NaN),
                trial(settings("relu", "xavier", false, false, 3), 1, "FAILED", Double.NaN, Double.NaN, Double.NaN));
        List<EffectRow> effects = Effects.compute(trials, axes);
        assertThat(effects).isEmpty();
        String html = Report.render(new Report.Input("all-failed", Map.of(), trials, axes, Comparison.compute(trials, axes),
                effects, Map.of(), Map.of()));
        assertThat(html).contains("No trial recorded gradient norms").contains("No effects")
                .contains("<span class=\"v FAILED\">FAILED</span>").contains("boom");
    }

    @Test
    void aOneStepSweepHasNoEndOfTrainingPanelsAndStillRenders() {
        // steps: 1 samples step 0 only: every profile has its initialization and no end of training
        List<AxisLevels> axes = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")));
        List<TrialRow> trials = new ArrayList<>();
        List<Profiles.BlockDelta> deltas = new ArrayList<>();
        List<Profiles.LossPoint> losses = new ArrayList<>();
        for (String act : List.of("sigmoid", "relu")) {
            TrialRow t = trial(settings(act, "xavier", false, false, 3), 1, "HEALTHY", -0.5, 0.4, 1.0);
            trials.add(t);
            for (int b = 1; b <= 3; b++) {
                deltas.add(new Profiles.BlockDelta(t.trialId(), false, b, Math.pow(10, -3 + b)));
            }
            losses.add(new Profiles.LossPoint(t.trialId(), 0, 1.1));
        }
        String html = Report.render(new Report.Input("one-step", Map.of(), trials, axes, Comparison.compute(trials, axes),
                Effects.compute(trials, axes), Profiles.meanLog10Delta(trials, deltas), Profiles.meanLoss(trials, losses)));
        assertThat(html).contains("<section id=\"heatmaps\">").contains("log10‖δ‖ at initialization")
                .doesNotContain("log10‖δ‖ at the end of training").contains("No training step after step 0 was sampled");
    }

    @Test
    void shortColumnLabelsKeepValuesAndFlagTrueBooleans() {
        ComparisonRow r = Comparison.compute(List.of(trial(settings("tanh", "he", true, true, 5), 1, "HEALTHY", 0, 0.5, 1)),
                List.of(new AxisLevels("activation", List.of("tanh")), new AxisLevels("init", List.of("he")),
                        new AxisLevels("batchnorm", List.of("false", "true")), new AxisLevels("residual", List.of("false", "true")),
                        new AxisLevels("depth", List.of("5")))).get(0);
        assertThat(Report.shortLabels(List.of(r), List.of("depth")).get(r.combinationId())).isEqualTo("tanh/he +bn +res");
        assertThat(Report.shortLabels(List.of(r), List.of()).get(r.combinationId())).isEqualTo("tanh/he/d5 +bn +res");
    }
}
