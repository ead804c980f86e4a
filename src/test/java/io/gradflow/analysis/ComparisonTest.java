package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gradflow.analysis.Rows.settings;
import static io.gradflow.analysis.Rows.trial;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ComparisonTest {

    static final List<AxisLevels> AXES = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")));

    @Test
    void seedsAreAggregatedPerCombinationWithMeanDeviationAndTInterval() {
        var sig = settings("sigmoid", "xavier", false, false, 10);
        var relu = settings("relu", "xavier", false, false, 10);
        List<TrialRow> trials = List.of(
                trial(sig, 1, "VANISHING", -5, 0.40, 1.0),
                trial(sig, 2, "VANISHING", -6, 0.35, 1.1),
                trial(sig, 3, "HEALTHY", -4, 0.45, 0.9),
                trial(relu, 1, "HEALTHY", -0.1, 0.90, 0.3),
                trial(relu, 2, "HEALTHY", 0.1, 0.80, 0.4),
                trial(relu, 3, "FAILED", Double.NaN, Double.NaN, Double.NaN));
        List<ComparisonRow> rows = Comparison.compute(trials, AXES);
        assertThat(rows).hasSize(2);

        ComparisonRow r = rows.get(0);
        assertThat(r.label()).isEqualTo("activation=relu");
        assertThat(r.rank()).isEqualTo(1);
        assertThat(r.nSeeds()).isEqualTo(3);
        assertThat(r.nFailed()).isEqualTo(1);
        assertThat(r.majorityVerdict()).isEqualTo("HEALTHY");
        Estimate f = r.estimate(Outcome.FLOW_DELTA_INIT);
        // -0.1 and 0.1: mean 0, sd = sqrt(0.02) = 0.141421, half width = 12.7062 · 0.141421 / √2 = 1.27062
        assertThat(f.n()).isEqualTo(2);
        assertThat(f.mean()).isCloseTo(0, within(1e-12));
        assertThat(f.sd()).isCloseTo(0.1414213562, within(1e-9));
        assertThat(f.ciHigh()).isCloseTo(1.2706204736, within(1e-8));
        assertThat(r.estimate(Outcome.TEST_ACCURACY).mean()).isCloseTo(0.85, within(1e-12));

        ComparisonRow s = rows.get(1);
        assertThat(s.label()).isEqualTo("activation=sigmoid");
        assertThat(s.rank()).isEqualTo(2);
        assertThat(s.majorityVerdict()).isEqualTo("VANISHING");
        Estimate fs = s.estimate(Outcome.FLOW_DELTA_TRAIN);
        // -5, -6, -4: mean -5, sd 1, half width = 4.302653 / √3 = 2.484138
        assertThat(fs.mean()).isCloseTo(-5, within(1e-12));
        assertThat(fs.sd()).isCloseTo(1, within(1e-12));
        assertThat(fs.ciLow()).isCloseTo(-5 - 2.4841377, within(1e-6));
        assertThat(fs.ciHigh()).isCloseTo(-5 + 2.4841377, within(1e-6));
        assertThat(s.estimate(Outcome.STEPS_TO_TARGET).n()).isZero();
    }

    @Test
    void aTieForTheMajorityGoesToTheWorseVerdict() {
        assertThat(Comparison.majority(List.of("HEALTHY", "DIVERGED"))).isEqualTo("DIVERGED");
        assertThat(Comparison.majority(List.of("HEALTHY", "VANISHING", "HEALTHY"))).isEqualTo("HEALTHY");
        assertThat(Comparison.majority(List.of("FAILED", "VANISHING", "VANISHING"))).isEqualTo("VANISHING");
    }

    @Test
    void rankPutsHealthyFirstThenHigherAccuracyThenLowerLoss() {
        var a = settings("sigmoid", "xavier", false, false, 10);
        var b = settings("relu", "xavier", false, false, 10);
        var c = settings("relu", "he", false, false, 10);
        var d = settings("tanh", "he", false, false, 10);
        List<AxisLevels> axes = List.of(new AxisLevels("activation", List.of("sigmoid", "tanh", "relu")),
                new AxisLevels("init", List.of("xavier", "he")));
        List<ComparisonRow> rows = Comparison.compute(List.of(
                trial(a, 1, "VANISHING", -5, 0.99, 0.1),   // best accuracy but vanishing: after every healthy one
                trial(b, 1, "HEALTHY", -1, 0.80, 0.5),
                trial(c, 1, "HEALTHY", 0, 0.80, 0.4),      // same accuracy as b, lower loss: before b
                trial(d, 1, "DIVERGED", 3, Double.NaN, Double.NaN)), axes);
        assertThat(rows.stream().map(ComparisonRow::label)).containsExactly(
                "activation=relu, init=he", "activation=relu, init=xavier", "activation=sigmoid, init=xavier",
                "activation=tanh, init=he");
        assertThat(rows.stream().map(ComparisonRow::rank)).containsExactly(1, 2, 3, 4);
        assertThat(rows.get(3).nDiverged()).isEqualTo(1);
    }
}
