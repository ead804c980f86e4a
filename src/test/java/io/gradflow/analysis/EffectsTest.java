package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.gradflow.analysis.Rows.settings;
import static io.gradflow.analysis.Rows.trial;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EffectsTest {

    static final List<AxisLevels> AXES = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")),
            new AxisLevels("batchnorm", List.of("false", "true")));

    /** flow_init per (activation, batchnorm, seed), as in the table in the test's comments. */
    static List<TrialRow> twoByTwo() {
        List<TrialRow> t = new ArrayList<>();
        //                                                     seed          flow   acc   loss
        t.add(trial(settings("sigmoid", "xavier", false, false, 10), 1, "VANISHING", -6, 0.40, 1.0));
        t.add(trial(settings("sigmoid", "xavier", false, false, 10), 2, "VANISHING", -5, 0.50, 1.0));
        t.add(trial(settings("sigmoid", "xavier", true, false, 10), 1, "HEALTHY", 1, 0.70, 0.5));
        t.add(trial(settings("sigmoid", "xavier", true, false, 10), 2, "HEALTHY", 0, 0.60, 0.5));
        t.add(trial(settings("relu", "xavier", false, false, 10), 1, "HEALTHY", -1, 0.80, 0.4));
        t.add(trial(settings("relu", "xavier", false, false, 10), 2, "HEALTHY", -1.5, 0.85, 0.4));
        t.add(trial(settings("relu", "xavier", true, false, 10), 1, "HEALTHY", 0.5, 0.90, 0.3));
        t.add(trial(settings("relu", "xavier", true, false, 10), 2, "FAILED", 0, Double.NaN, Double.NaN));
        return t;
    }

    @Test
    void mainEffectPairsTrialsThatDifferOnlyInTheAxis() {
        List<EffectRow> rows = Effects.compute(twoByTwo(), AXES);
        EffectRow bn = Effects.find(rows, EffectRow.MAIN, Outcome.FLOW_DELTA_INIT, "batchnorm", "true", "all");
        // pairs: sigmoid s1 1-(-6)=7, s2 0-(-5)=5, relu s1 0.5-(-1)=1.5, s2 0-(-1.5)=1.5
        // mean 3.75; deviations 3.25, 1.25, -2.25, -2.25; sum of squares 22.25; sd = sqrt(22.25/3)
        double sd = Math.sqrt(22.25 / 3);
        assertThat(bn.nPairs()).isEqualTo(4);
        assertThat(bn.baseline()).isEqualTo("false");
        assertThat(bn.diff().mean()).isCloseTo(3.75, within(1e-12));
        assertThat(bn.diff().sd()).isCloseTo(sd, within(1e-12));
        assertThat(bn.diff().ciLow()).isCloseTo(3.75 - 3.182446305 * sd / 2, within(1e-8));
        assertThat(bn.diff().ciHigh()).isCloseTo(3.75 + 3.182446305 * sd / 2, within(1e-8));
        assertThat(bn.meanAtBaseline()).isCloseTo((-6 - 5 - 1 - 1.5) / 4, within(1e-12));
        assertThat(bn.meanAtLevel()).isCloseTo((1 + 0 + 0.5 + 0) / 4, within(1e-12));

        // the failed trial has no accuracy: its pair drops out for that outcome only
        EffectRow acc = Effects.find(rows, EffectRow.MAIN, Outcome.TEST_ACCURACY, "batchnorm", "true", "all");
        assertThat(acc.nPairs()).isEqualTo(3);
        // 0.70-0.40, 0.60-0.50, 0.90-0.80 → mean 0.5/3
        assertThat(acc.diff().mean()).isCloseTo(0.5 / 3, within(1e-12));

        EffectRow relu = Effects.find(rows, EffectRow.MAIN, Outcome.FLOW_DELTA_INIT, "activation", "relu", "all");
        // bn=false: -1-(-6)=5, -1.5-(-5)=3.5; bn=true: 0.5-1=-0.5, 0-0=0 → mean 2.0
        assertThat(relu.diff().mean()).isCloseTo(2.0, within(1e-12));
        assertThat(relu.nPairs()).isEqualTo(4);
        assertThat(Effects.find(rows, EffectRow.MAIN, Outcome.FLOW_DELTA_INIT, "activation", "sigmoid", "all")).isNull();
    }

    @Test
    void conditionalEffectsUseOnlyThePairsInsideTheStratum() {
        List<EffectRow> rows = Effects.compute(twoByTwo(), AXES);
        EffectRow atSigmoid = Effects.find(rows, EffectRow.CONDITIONAL, Outcome.FLOW_DELTA_INIT, "batchnorm", "true",
                "activation=sigmoid");
        // 7 and 5: mean 6, sd √2, half width 12.7062 · √2 / √2
        assertThat(atSigmoid.nPairs()).isEqualTo(2);
        assertThat(atSigmoid.diff().mean()).isCloseTo(6, within(1e-12));
        assertThat(atSigmoid.diff().sd()).isCloseTo(Math.sqrt(2), within(1e-12));
        assertThat(atSigmoid.diff().ciLow()).isCloseTo(6 - 12.706204736, within(1e-8));
        assertThat(atSigmoid.meanAtBaseline()).isCloseTo(-5.5, within(1e-12));
        assertThat(atSigmoid.meanAtLevel()).isCloseTo(0.5, within(1e-12));
        EffectRow atRelu = Effects.find(rows, EffectRow.CONDITIONAL, Outcome.FLOW_DELTA_INIT, "batchnorm", "true",
                "activation=relu");
        assertThat(atRelu.diff().mean()).isCloseTo(1.5, within(1e-12));
        assertThat(atRelu.diff().sd()).isZero();
    }

    @Test
    void interactionIsTheDifferenceInDifferencesPerSeed() {
        List<EffectRow> rows = Effects.compute(twoByTwo(), AXES);
        List<EffectRow> inter = rows.stream().filter(r -> r.kind().equals(EffectRow.INTERACTION)
                && r.outcome() == Outcome.FLOW_DELTA_INIT).toList();
        assertThat(inter).hasSize(1);
        EffectRow r = inter.get(0);
        assertThat(r.axis()).isEqualTo("activation");
        assertThat(r.level()).isEqualTo("relu");
        assertThat(r.byAxis()).isEqualTo("batchnorm");
        assertThat(r.byLevel()).isEqualTo("true");
        // seed 1: relu effect at bn=false 5, at bn=true -0.5 → -5.5; seed 2: 3.5 and 0 → -3.5
        assertThat(r.nPairs()).isEqualTo(2);
        assertThat(r.diff().mean()).isCloseTo(-4.5, within(1e-12));
        assertThat(r.diff().sd()).isCloseTo(Math.sqrt(2), within(1e-12));
        assertThat(r.meanAtBaseline()).isCloseTo(4.25, within(1e-12));
        assertThat(r.meanAtLevel()).isCloseTo(-0.25, within(1e-12));
    }

    @Test
    void answersHowManyDecadesBatchNormAndResidualRecoverForSigmoidAtDepthTwenty() {
        List<AxisLevels> axes = List.of(new AxisLevels("activation", List.of("sigmoid", "relu")),
                new AxisLevels("batchnorm", List.of("false", "true")),
                new AxisLevels("residual", List.of("false", "true")),
                new AxisLevels("depth", List.of("2", "20")));
        List<TrialRow> trials = new ArrayList<>();
        for (String act : List.of("sigmoid", "relu")) {
            for (boolean bn : List.of(false, true)) {
                for (boolean res : List.of(false, true)) {
                    for (int depth : List.of(2, 20)) {
                        // decades lost ∝ depth; batch norm and the residual connection each give some back
                        boolean sig = act.equals("sigmoid");
                        double flow = depth * ((sig ? -0.3 : -0.05) + (bn ? (sig ? 0.25 : 0.05) : 0)
                                + (res ? (sig ? 0.2 : 0.04) : 0));
                        trials.add(trial(settings(act, "xavier", bn, res, depth), 1, "HEALTHY", flow, 0.5, 1));
                    }
                }
            }
        }
        List<EffectRow> rows = Effects.compute(trials, axes);
        EffectRow bn = Effects.find(rows, EffectRow.CONDITIONAL, Outcome.FLOW_DELTA_INIT, "batchnorm", "true",
                "activation=sigmoid, depth=20");
        EffectRow res = Effects.find(rows, EffectRow.CONDITIONAL, Outcome.FLOW_DELTA_INIT, "residual", "true",
                "activation=sigmoid, depth=20");
        // pairs over the other remedy (off and on): batch norm recovers 20 · 0.25 = 5 decades, residual 20 · 0.2 = 4
        assertThat(bn.nPairs()).isEqualTo(2);
        assertThat(bn.diff().mean()).isCloseTo(5, within(1e-9));
        assertThat(res.diff().mean()).isCloseTo(4, within(1e-9));
        assertThat(Effects.find(rows, EffectRow.CONDITIONAL, Outcome.FLOW_DELTA_INIT, "residual", "true",
                "activation=relu, depth=2").diff().mean()).isCloseTo(0.08, within(1e-9));
        // activation × depth interaction exists as a row
        assertThat(rows).anyMatch(r -> r.kind().equals(EffectRow.INTERACTION) && r.axis().equals("activation")
                && "depth".equals(r.byAxis()));
    }
}
