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
        if (Boolean.getBoolean("gradflow.report.keep")) {
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "report-test.html"), html);
        }
        assertThat(html).contains("data-charts=\"15\"");
        assertThat(html).contains("activation=relu · depth 3").contains("depth 2").contains("boom");
        assertThat(html).contains("<td class=\"n\">1</td><td>activation=");
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
