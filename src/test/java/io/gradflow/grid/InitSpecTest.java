package io.gradflow.grid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class InitSpecTest {

    @Test
    void parsesTheNamedRules() {
        assertThat(InitSpec.parse("xavier")).isEqualTo(InitSpec.of(InitSpec.Kind.XAVIER));
        assertThat(InitSpec.parse("he")).isEqualTo(InitSpec.of(InitSpec.Kind.HE));
        assertThat(InitSpec.parse("lecun")).isEqualTo(InitSpec.of(InitSpec.Kind.LECUN));
        assertThat(InitSpec.parse(" He ").kind()).isEqualTo(InitSpec.Kind.HE);
    }

    @Test
    void parsesNormalWithItsStandardDeviation() {
        InitSpec n = InitSpec.parse("normal(0.05)");
        assertThat(n.kind()).isEqualTo(InitSpec.Kind.NORMAL);
        assertThat(n.std()).isEqualTo(0.05);
        assertThat(InitSpec.parse("normal( 1 )")).isEqualTo(InitSpec.normal(1.0));
        assertThat(InitSpec.parse("NORMAL(2)")).isEqualTo(InitSpec.normal(2.0));
    }

    @Test
    void namedRulesHaveNoStandardDeviation() {
        assertThat(new InitSpec(InitSpec.Kind.HE, 3.0).std()).isNaN();
        assertThat(new InitSpec(InitSpec.Kind.HE, 3.0)).isEqualTo(InitSpec.of(InitSpec.Kind.HE));
    }

    @Test
    void keyIsTheGridSpellingAndRoundTrips() {
        assertThat(InitSpec.of(InitSpec.Kind.XAVIER).key()).isEqualTo("xavier");
        assertThat(InitSpec.normal(0.5).key()).isEqualTo("normal(0.5)");
        assertThat(InitSpec.normal(0.5).toString()).isEqualTo("normal(0.5)");
        for (InitSpec s : new InitSpec[] {InitSpec.of(InitSpec.Kind.XAVIER), InitSpec.of(InitSpec.Kind.HE),
                InitSpec.of(InitSpec.Kind.LECUN), InitSpec.normal(0.01), InitSpec.normal(1)}) {
            assertThat(InitSpec.parse(s.key())).isEqualTo(s);
        }
    }

    @Test
    void normalZeroIsRejected() {
        assertThatThrownBy(() -> InitSpec.parse("normal(0)"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("init 'normal(0.0)' is not allowed")
                .hasMessageContaining("above 0 and at most 100");
    }

    @ParameterizedTest
    @ValueSource(strings = {"normal(-1)", "normal(101)", "normal(1e400)"})
    void normalOutOfRangeIsRejected(String text) {
        assertThatThrownBy(() -> InitSpec.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not allowed")
                .hasMessageContaining("standard deviation");
    }

    @Test
    void normalOfANonNumberIsRejected() {
        assertThatThrownBy(() -> InitSpec.parse("normal(abc)"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("init 'normal(abc)' is not supported")
                .hasMessageContaining("normal needs a number");
        assertThatThrownBy(() -> InitSpec.parse("normal(NaN)"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("init 'normal(NaN)'");
    }

    @Test
    void normalWithoutArgumentIsRejected() {
        assertThatThrownBy(() -> InitSpec.parse("normal()"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("init 'normal()'");
    }

    @Test
    void unknownRuleListsTheAllowedOnes() {
        assertThatThrownBy(() -> InitSpec.parse("kaiming"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("init 'kaiming' is not supported")
                .hasMessageContaining("xavier, he, lecun, normal(");
    }

    @Test
    void sigmaW2MatchesTheMeanFieldConventions() {
        // DESIGN.md: square layers, Xavier sigma_w^2 = 1, He 2, N(0,1) = fan-in.
        assertThat(InitSpec.of(InitSpec.Kind.XAVIER).sigmaW2(64, 64)).isEqualTo(1.0);
        assertThat(InitSpec.of(InitSpec.Kind.HE).sigmaW2(64, 64)).isEqualTo(2.0);
        assertThat(InitSpec.of(InitSpec.Kind.LECUN).sigmaW2(64, 64)).isEqualTo(1.0);
        assertThat(InitSpec.normal(1.0).sigmaW2(64, 64)).isEqualTo(64.0);
        assertThat(InitSpec.normal(0.1).sigmaW2(100, 10)).isCloseTo(1.0, within(1e-12));
        assertThat(InitSpec.of(InitSpec.Kind.XAVIER).sigmaW2(30, 10)).isCloseTo(1.5, within(1e-12));
    }

    @Test
    void pretrainedNamesAModelFileOrASweepFolderAndAnId() {
        InitSpec file = InitSpec.parse(" pretrained( runs/A/models/00112233aabbccdd.zip ) ");
        assertThat(file.isPretrained()).isTrue();
        assertThat(file.source()).as("the path keeps its case").isEqualTo("runs/A/models/00112233aabbccdd.zip");
        assertThat(file.id()).isEmpty();
        assertThat(file.key()).isEqualTo("pretrained(runs/A/models/00112233aabbccdd.zip)");
        assertThat(file.isResolved()).isFalse();

        InitSpec sweep = InitSpec.parse("Pretrained(runs/a, 00112233AABBCCDD)");
        assertThat(sweep.source()).isEqualTo("runs/a");
        assertThat(sweep.id()).isEqualTo("00112233aabbccdd");
        assertThat(sweep.key()).isEqualTo("pretrained(runs/a, 00112233aabbccdd)");
        // a comma that is not followed by an id is part of the path
        assertThat(InitSpec.parse("pretrained(a,b.zip)").source()).isEqualTo("a,b.zip");

        InitSpec resolved = sweep.resolved("", Map.of(1L, "file:/r/x.zip", 2L, "file:/r/y.zip"), "0123456789abcdef");
        assertThat(resolved).as("equal to the parsed value, so excludes and diffs match").isEqualTo(sweep)
                .hasSameHashCodeAs(sweep);
        assertThat(resolved.canonicalKey()).isEqualTo("pretrained(runs/a, 00112233aabbccdd)@0123456789abcdef");
        assertThat(sweep.canonicalKey()).isEqualTo(sweep.key());
        assertThat(resolved.modelFor(2)).isEqualTo("file:/r/y.zip");
        assertThatThrownBy(() -> resolved.modelFor(3)).hasMessageContaining("has no model for seed 3");
        assertThatThrownBy(() -> sweep.modelFor(1)).hasMessageContaining("has not been resolved");
        // the fresh layers of a warm start (projection, output where the data differ) are drawn with Xavier's rule
        assertThat(file.std(30, 10)).isEqualTo(InitSpec.of(InitSpec.Kind.XAVIER).std(30, 10));
    }

    @Test
    void pretrainedErrorsSayWhatToWrite() {
        assertThatThrownBy(() -> InitSpec.parse("pretrained()")).hasMessageStartingWith("init 'pretrained()' names no model");
        assertThatThrownBy(() -> InitSpec.parse("pretrained(runs/a")).hasMessageContaining("quote a value with one");
        assertThat(InitSpec.parse("pretrained(runs/a, 0011)").source())
                .as("a short id is part of the path (then a missing file when resolved)").isEqualTo("runs/a, 0011");
    }
}
