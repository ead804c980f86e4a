package io.gradflow.grid;

import io.gradflow.testutil.Fixtures;
import org.junit.jupiter.api.Test;

import static io.gradflow.grid.GridParserTest.assertRejected;
import static io.gradflow.grid.GridParserTest.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code health.stop_early}: parsing, validation with the file's line, and what it does to trial ids. */
class StopEarlyTest {

    private static final String BASE = """
            seeds: [1]
            axes: {activation: [sigmoid, relu]}
            dataset: {kind: spirals}
            """;

    @Test
    void offByDefaultAndParsedWithItsDefaultImprovement() {
        assertThat(parse(BASE).health().stopEarly()).isEqualTo(StopEarly.OFF);
        GridSpec on = parse(BASE + "health: {vanishing_below: -3, stop_early: {after: 50, window: 3}}\n");
        assertThat(on.health()).isEqualTo(new HealthThresholds(-3, 2, new StopEarly(50, 3, 0.01)));
        GridSpec r = parse(BASE + "health:\n  stop_early: {after: 0, window: 2, min_improvement: 0}\n");
        assertThat(r.health().stopEarly()).isEqualTo(new StopEarly(0, 2, 0.0));
        assertThat(parse(BASE + "health: {stop_early: false}\n").health().stopEarly().isOff()).isTrue();
    }

    @Test
    void badValuesAreOneLineWithTheirLine() {
        assertRejected(BASE + "health:\n  stop_early: {after: 10, window: 1}\n", 5,
                "health.stop_early.window 1 is not allowed; it must be between 2 and 1000 sampled steps");
        assertRejected(BASE + "health:\n  stop_early:\n    after: -5\n    window: 3\n", 6,
                "health.stop_early.after -5 is not allowed; it must be a step between 0 and 10000000");
        assertRejected(BASE + "health:\n  stop_early: {window: 3}\n", 5,
                "health.stop_early.after is missing; e.g. stop_early: {after: 50, window: 3}");
        assertRejected(BASE + "health:\n  stop_early: {after: 10, window: 3, patience: 4}\n", 5,
                "health.stop_early.patience is not a known key; choose one of after, min_improvement, window");
        assertRejected(BASE + "health:\n  stop_early: {after: ten, window: 3}\n", 5,
                "health.stop_early.after 'ten' is not a whole number");
        assertRejected(BASE + "health:\n  stop_early: {after: 1, window: 3, min_improvement: 1.5}\n", 5,
                "health.stop_early.min_improvement 1.5 is not allowed; it must be a share in [0, 1)");
        assertRejected(BASE + "health:\n  stop_early: yes\n", 5, "health.stop_early must be a mapping such as {after: 50, window: 3}, or false");
        assertThat(GridParserTest.error(BASE + "health:\n  stop_early: {after: 10, window: 1}\n")).doesNotContain("\n");
    }

    @Test
    void trialIdsChangeOnlyWhenStoppingIsOn() {
        TrialConfig plain = Fixtures.trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 5, 100);
        TrialConfig off = withHealth(plain, new HealthThresholds(-3, 3, StopEarly.OFF));
        assertThat(off.trialId()).isEqualTo(plain.trialId()); // thresholds alone never change an id
        assertThat(off.canonical()).doesNotContain("stop_early");
        TrialConfig on = withHealth(plain, new HealthThresholds(-2, 2, new StopEarly(16, 3, 0.01)));
        assertThat(on.trialId()).isNotEqualTo(plain.trialId());
        assertThat(on.canonical()).endsWith(";stop_early=after:16,window:3,min_improvement:0.01,vanishing_below:-2.0,exploding_above:2.0");
        // with stopping on, the thresholds decide where a trial stops, so they are part of it
        TrialConfig other = withHealth(plain, new HealthThresholds(-3, 2, new StopEarly(16, 3, 0.01)));
        assertThat(other.trialId()).isNotEqualTo(on.trialId());
    }

    @Test
    void aGridThatAddsStopEarlyIsNotAnExtensionOfTheOldOne() {
        GridSpec old = parse(BASE);
        GridSpec neu = parse(BASE + "health: {stop_early: {after: 8, window: 3}}\n");
        GridDiff d = GridDiff.compare(old, neu);
        assertThat(d.same()).isFalse();
        assertThat(d.extensionOnly()).isFalse();
        assertThat(d.changes()).anyMatch(s -> s.contains("stop_early") || s.contains("after: 8"));
    }

    static TrialConfig withHealth(TrialConfig c, HealthThresholds h) {
        return new TrialConfig(c.activation(), c.init(), c.batchnorm(), c.residual(), c.depth(), c.width(), c.steps(),
                c.batchSize(), c.optimizer(), c.learningRate(), c.dtype(), c.seed(), c.dataset(), c.schedule(),
                c.targetLoss(), h, c.clip());
    }
}
