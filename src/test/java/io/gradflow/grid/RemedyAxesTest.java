package io.gradflow.grid;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gradflow.grid.GridParserTest.assertRejected;
import static io.gradflow.grid.GridParserTest.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code clip} axis and the scaled residual forms: parsing, validation, canonical forms and trial ids. */
class RemedyAxesTest {

    @Test
    void clipParsesEveryRule() {
        assertThat(ClipSpec.parse("none")).isEqualTo(ClipSpec.NONE);
        assertThat(ClipSpec.parse("norm(1.0)")).isEqualTo(new ClipSpec(ClipSpec.Kind.NORM, 1.0));
        assertThat(ClipSpec.parse(" Layer_Norm( 0.5 ) ")).isEqualTo(new ClipSpec(ClipSpec.Kind.LAYER_NORM, 0.5));
        assertThat(ClipSpec.parse("value(2)")).isEqualTo(new ClipSpec(ClipSpec.Kind.VALUE, 2.0));
        assertThat(ClipSpec.parse("norm(1)").key()).isEqualTo("norm(1.0)");
        assertThat(ClipSpec.NONE.key()).isEqualTo("none");
    }

    @Test
    void clipRejectsBadRulesAndThresholds() {
        assertThatThrownBy(() -> ClipSpec.parse("l2(1.0)")).hasMessage(
                "clip 'l2(1.0)' is not supported; choose one of none, norm(<c>), layer_norm(<c>), value(<c>) e.g. norm(1.0)");
        assertThatThrownBy(() -> ClipSpec.parse("norm(big)")).hasMessageContaining("norm needs a number, e.g. norm(1.0)");
        assertThatThrownBy(() -> ClipSpec.parse("norm(0)")).hasMessageContaining("its threshold must be a positive finite number");
        assertThatThrownBy(() -> ClipSpec.parse("value(-1)")).hasMessage("clip 'value(-1)' is not allowed; its threshold must be a positive finite number");
        assertThatThrownBy(() -> ClipSpec.parse("norm(1e999)")).hasMessageContaining("positive finite");
        assertThatThrownBy(() -> ClipSpec.parse("norm")).hasMessageContaining("choose one of none, norm(<c>)");
    }

    @Test
    void residualParsesFourForms() {
        assertThat(Residual.parse("false")).isEqualTo(Residual.NONE);
        assertThat(Residual.parse("TRUE")).isEqualTo(Residual.UNIT);
        assertThat(Residual.parse("scaled")).isEqualTo(Residual.SCALED);
        assertThat(Residual.parse("rezero")).isEqualTo(Residual.REZERO);
        assertThat(Residual.REZERO.hasSkip()).isTrue();
        assertThat(Residual.NONE.hasSkip()).isFalse();
        assertThatThrownBy(() -> Residual.parse("skipinit")).hasMessage(
                "residual 'skipinit' is not supported; choose one of false, true, scaled, rezero");
    }

    @Test
    void gridFilesTakeTheNewAxesWithLinesInErrors() {
        GridSpec g = parse("""
                seeds: [1]
                axes:
                  residual: [false, true, scaled, rezero]
                  clip: [none, norm(1.0), layer_norm(0.5), value(0.1)]
                dataset: {kind: spirals}
                """);
        assertThat(g.axes().get(Axis.RESIDUAL)).containsExactly(Residual.NONE, Residual.UNIT, Residual.SCALED, Residual.REZERO);
        assertThat(g.axes().get(Axis.CLIP)).containsExactly(ClipSpec.NONE, new ClipSpec(ClipSpec.Kind.NORM, 1.0),
                new ClipSpec(ClipSpec.Kind.LAYER_NORM, 0.5), new ClipSpec(ClipSpec.Kind.VALUE, 0.1));
        assertThat(Grid.expand(g)).hasSize(16);
        assertThat(Axis.render(ClipSpec.parse("norm(1.0)"))).isEqualTo("norm(1.0)");
        assertThat(Axis.render(Residual.SCALED)).isEqualTo("scaled");

        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes:
                  clip: [none, norm(-2)]
                """, 4, "clip 'norm(-2)' is not allowed", "positive finite number");
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                training: {clip: clipnorm}
                """, 3, "clip 'clipnorm' is not supported", "none, norm(<c>), layer_norm(<c>), value(<c>)");
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes:
                  residual: [false, skip]
                """, 4, "residual 'skip' is not supported", "false, true, scaled, rezero");
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes:
                  clip: [none, norm(1.0), "norm(1)"]
                """, 4, "axes.clip lists 'norm(1)' twice");
    }

    @Test
    void existingConfigurationsKeepTheirCanonicalFormAndId() {
        TrialConfig unit = TrialConfigTest.config(42);
        assertThat(unit.residual()).isEqualTo(Residual.UNIT);
        assertThat(unit.clip()).isEqualTo(ClipSpec.NONE);
        assertThat(unit.canonical()).isEqualTo(TrialConfigTest.CANONICAL_42);
        assertThat(unit.withResidual(Residual.NONE).canonical())
                .isEqualTo(TrialConfigTest.CANONICAL_42.replace("residual=true", "residual=false"));
    }

    @Test
    void newSettingsAppearInTheCanonicalFormOnlyAwayFromTheOldBehaviour() {
        TrialConfig base = TrialConfigTest.config(42);
        assertThat(base.withResidual(Residual.SCALED).canonical())
                .isEqualTo(TrialConfigTest.CANONICAL_42.replace("residual=true", "residual=scaled"));
        assertThat(base.withResidual(Residual.REZERO).canonical()).contains(";residual=rezero;");
        assertThat(base.withClip(ClipSpec.parse("norm(1.0)")).canonical())
                .isEqualTo(TrialConfigTest.CANONICAL_42 + ";clip=norm(1.0)");
        List<String> ids = List.of(base.trialId(), base.withResidual(Residual.SCALED).trialId(),
                base.withResidual(Residual.REZERO).trialId(), base.withClip(ClipSpec.parse("norm(1.0)")).trialId(),
                base.withClip(ClipSpec.parse("layer_norm(1.0)")).trialId(), base.withClip(ClipSpec.parse("value(1.0)")).trialId(),
                base.withClip(ClipSpec.parse("norm(2.0)")).trialId());
        assertThat(ids).doesNotHaveDuplicates();
        // the seed is not part of the combination, the clip is
        assertThat(base.withClip(ClipSpec.parse("norm(1.0)")).combinationKey()).endsWith(";clip=norm(1.0)");
    }

    @Test
    void gradflowsOwnTrainingStepsAreRefusedForDataParallelTrialsUnlessExcluded() {
        String grid = """
                seeds: [1]
                axes:
                  parallelism: [task, data]
                  clip: [none, "norm(1.0)", "value(0.5)"]
                dataset: {kind: spirals}
                """;
        assertThat(GridParserTest.error(grid)).contains("clip 'norm(1.0)' is not supported with parallelism: data")
                .contains("exclude: [{parallelism: data, clip: 'norm(1.0)'}]");
        // the exclude the message names is the way out; DL4J's own value clipping stays allowed with data
        GridSpec ok = parse(grid + "exclude:\n  - {parallelism: data, clip: \"norm(1.0)\"}\n");
        assertThat(Grid.count(ok)).isEqualTo(5);
        assertThat(GridParserTest.error("""
                seeds: [1]
                axes:
                  parallelism: [data]
                  pretrain: [none, autoencoder]
                dataset: {kind: spirals}
                """)).contains("pretrain 'autoencoder");
    }
}
