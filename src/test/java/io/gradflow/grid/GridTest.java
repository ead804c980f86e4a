package io.gradflow.grid;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Expansion of a grid into trials: size, exclusion semantics and order. */
class GridTest {

    static GridSpec parse(String text) {
        return GridParser.parse(text, "grid.yaml", "test");
    }

    /** activation/depth/seed of a trial, e.g. "relu/4/2". */
    static String point(TrialConfig t) {
        return t.activation().key() + "/" + t.depth() + "/" + t.seed();
    }

    @Test
    void sizeIsTheProductOfAxisSizesTimesSeeds() {
        GridSpec spec = parse("""
                seeds: [1, 2, 3]
                axes:
                  activation: [sigmoid, tanh, relu]
                  depth: [2, 4]
                  batchnorm: [false, true]
                  init: [xavier, he, lecun, "normal(1.0)"]
                dataset: {kind: spirals}
                """);
        assertThat(spec.fullSize()).isEqualTo(3L * 2 * 2 * 4 * 3);
        assertThat(Grid.expand(spec)).hasSize(3 * 2 * 2 * 4 * 3);
    }

    @Test
    void fullGridExampleLosesExactlyTheExcludedCombinations() {
        List<TrialConfig> trials = Grid.expand(parse(GridParserTest.FULL));
        // 16 combinations; sigmoid+batchnorm removes 2 (init) x 2 (depth) = 4, relu+normal(0.5)+depth 8 removes
        // 2 (batchnorm); the two entries never overlap (different activations). 10 combinations x 3 seeds.
        assertThat(trials).hasSize((16 - 4 - 2) * 3);
        assertThat(trials).noneMatch(t -> t.activation() == Activation.SIGMOID && t.batchnorm());
        assertThat(trials).noneMatch(t -> t.activation() == Activation.RELU && t.depth() == 8
                && t.init().equals(InitSpec.normal(0.5)));
    }

    @Test
    void aTrialIsDroppedOnlyWhenItMatchesEveryKeyOfOneEntry() {
        GridSpec spec = parse("""
                seeds: [1]
                axes:
                  activation: [sigmoid, relu]
                  depth: [4, 8]
                exclude:
                  - {activation: sigmoid, depth: 8}
                dataset: {kind: spirals}
                """);
        List<String> points = Grid.expand(spec).stream().map(GridTest::point).toList();
        // sigmoid/4 matches only one key and relu/8 only the other: both stay.
        assertThat(points).containsExactly("sigmoid/4/1", "relu/4/1", "relu/8/1");
    }

    @Test
    void excludeEntriesAreAlternatives() {
        GridSpec spec = parse("""
                seeds: [1]
                axes:
                  activation: [sigmoid, tanh, relu]
                  depth: [4, 8]
                exclude:
                  - {activation: sigmoid}
                  - {depth: 8, activation: relu}
                dataset: {kind: spirals}
                """);
        List<String> points = Grid.expand(spec).stream().map(GridTest::point).toList();
        assertThat(points).containsExactly("tanh/4/1", "tanh/8/1", "relu/4/1");
    }

    @Test
    void overlappingExclusionsAreNotSubtractedTwice() {
        GridSpec spec = parse("""
                seeds: [1, 2]
                axes:
                  activation: [sigmoid, relu]
                  depth: [4, 8]
                exclude:
                  - {activation: sigmoid}
                  - {depth: 8}
                dataset: {kind: spirals}
                """);
        // sigmoid/8 matches both entries; only relu/4 survives.
        assertThat(Grid.expand(spec)).extracting(GridTest::point).containsExactly("relu/4/1", "relu/4/2");
    }

    @Test
    void exclusionComparesTypedValuesNotSpellings() {
        GridSpec spec = parse("""
                seeds: [1]
                axes:
                  learning_rate: [0.01, 0.1]
                  init: ["normal(1)", he]
                exclude:
                  - {learning_rate: 1e-2, init: "normal(1.00)"}
                dataset: {kind: spirals}
                """);
        List<TrialConfig> trials = Grid.expand(spec);
        assertThat(trials).hasSize(3);
        assertThat(trials).noneMatch(t -> t.learningRate() == 0.01 && t.init().equals(InitSpec.normal(1)));
    }

    @Test
    void seedsVaryFastestThenTheLastAxis() {
        GridSpec spec = parse("""
                seeds: [5, 6]
                axes:
                  activation: [sigmoid, relu]
                  depth: [2, 4]
                dataset: {kind: spirals}
                """);
        assertThat(Grid.expand(spec)).extracting(GridTest::point).containsExactly(
                "sigmoid/2/5", "sigmoid/2/6", "sigmoid/4/5", "sigmoid/4/6",
                "relu/2/5", "relu/2/6", "relu/4/5", "relu/4/6");
    }

    @Test
    void seedOrderFollowsTheFile() {
        GridSpec spec = parse("""
                seeds: [30, 10, 20]
                dataset: {kind: spirals}
                """);
        assertThat(Grid.expand(spec)).extracting(TrialConfig::seed).containsExactly(30L, 10L, 20L);
    }

    @Test
    void gridWithoutAxesHasOneTrialPerSeed() {
        GridSpec spec = parse("""
                seeds: [1, 2, 3, 4]
                training: {depth: 7}
                dataset: {kind: spirals}
                """);
        List<TrialConfig> trials = Grid.expand(spec);
        assertThat(trials).hasSize(4);
        assertThat(trials).allMatch(t -> t.depth() == 7);
    }

    @Test
    void expansionIsPureAndRepeatable() {
        GridSpec spec = parse(GridParserTest.FULL);
        assertThat(Grid.expand(spec)).isEqualTo(Grid.expand(spec));
    }

    @Test
    void everyTrialOfAGridHasADistinctIdAndRngSeed() {
        List<TrialConfig> trials = Grid.expand(parse(GridParserTest.FULL));
        Set<String> ids = trials.stream().map(TrialConfig::trialId).collect(Collectors.toSet());
        Set<Long> rngSeeds = trials.stream().map(TrialConfig::rngSeed).collect(Collectors.toSet());
        assertThat(ids).hasSameSizeAs(trials);
        assertThat(rngSeeds).hasSameSizeAs(trials);
    }

    @Test
    void trialsOfOneCombinationShareACombinationKey() {
        List<TrialConfig> trials = Grid.expand(parse(GridParserTest.FULL));
        Set<String> keys = new HashSet<>();
        trials.forEach(t -> keys.add(t.combinationKey()));
        assertThat(keys).hasSize(trials.size() / 3);
        assertThat(keys).allSatisfy(k -> assertThat(k).doesNotContain(";seed=").contains(",seed=7)"));
    }

    @Test
    void idsDoNotDependOnHealthThresholdsTargetLossOrName() {
        String judged = GridParserTest.FULL
                .replace("target_loss: 0.25", "target_loss: 0.1")
                .replace("vanishing_below: -3", "vanishing_below: -1")
                .replace("exploding_above: 1.5", "exploding_above: 4")
                .replace("name: remedies-v1", "name: another-name");
        assertThat(judged).isNotEqualTo(GridParserTest.FULL);

        List<TrialConfig> before = Grid.expand(parse(GridParserTest.FULL));
        List<TrialConfig> after = Grid.expand(parse(judged));
        assertThat(after.get(0).targetLoss()).isEqualTo(0.1);
        assertThat(after.get(0).health()).isEqualTo(new HealthThresholds(-1, 4));
        assertThat(after).extracting(TrialConfig::trialId)
                .containsExactlyElementsOf(before.stream().map(TrialConfig::trialId).toList());
        assertThat(after).extracting(TrialConfig::rngSeed)
                .containsExactlyElementsOf(before.stream().map(TrialConfig::rngSeed).toList());
    }

    @Test
    void idsChangeWithTheDataOrTheSchedule() {
        List<String> before = Grid.expand(parse(GridParserTest.FULL)).stream().map(TrialConfig::trialId).toList();
        List<String> otherData = Grid.expand(parse(GridParserTest.FULL.replace("  seed: 7", "  seed: 8")))
                .stream().map(TrialConfig::trialId).toList();
        List<String> otherSchedule = Grid.expand(parse(GridParserTest.FULL.replace("every: 5", "every: 6")))
                .stream().map(TrialConfig::trialId).toList();
        assertThat(otherData).hasSameSizeAs(before).doesNotContainAnyElementsOf(before);
        assertThat(otherSchedule).hasSameSizeAs(before).doesNotContainAnyElementsOf(before);
    }

    @Test
    void theSameConfigurationInTwoGridsHasTheSameId() {
        // depth 4 listed as an axis in one grid and fixed under training in the other: same trial, same id.
        GridSpec asAxis = parse("""
                seeds: [1]
                axes: {depth: [4, 8]}
                dataset: {kind: spirals}
                """);
        GridSpec asFixed = parse("""
                name: other
                seeds: [1]
                training: {depth: 4}
                dataset: {kind: spirals}
                """);
        assertThat(Grid.expand(asFixed).get(0).trialId()).isEqualTo(Grid.expand(asAxis).get(0).trialId());
        assertThat(Grid.expand(asFixed).get(0).trialId()).isNotEqualTo(Grid.expand(asAxis).get(1).trialId());
    }

    @Test
    void valueOfReturnsTheTypedValueOfEveryAxis() {
        TrialConfig t = Grid.expand(parse(GridParserTest.FULL)).get(0);
        assertThat(Grid.valueOf(t, Axis.ACTIVATION)).isEqualTo(Activation.SIGMOID);
        assertThat(Grid.valueOf(t, Axis.INIT)).isEqualTo(InitSpec.of(InitSpec.Kind.XAVIER));
        assertThat(Grid.valueOf(t, Axis.BATCHNORM)).isEqualTo(false);
        assertThat(Grid.valueOf(t, Axis.RESIDUAL)).isEqualTo(Residual.UNIT);
        assertThat(Grid.valueOf(t, Axis.CLIP)).isEqualTo(ClipSpec.NONE);
        assertThat(Grid.valueOf(t, Axis.DEPTH)).isEqualTo(4);
        assertThat(Grid.valueOf(t, Axis.WIDTH)).isEqualTo(32);
        assertThat(Grid.valueOf(t, Axis.STEPS)).isEqualTo(100);
        assertThat(Grid.valueOf(t, Axis.BATCH_SIZE)).isEqualTo(16);
        assertThat(Grid.valueOf(t, Axis.OPTIMIZER)).isEqualTo(Optimizer.ADAM);
        assertThat(Grid.valueOf(t, Axis.LEARNING_RATE)).isEqualTo(0.001);
        assertThat(Grid.valueOf(t, Axis.DTYPE)).isEqualTo(Precision.DOUBLE);
    }

    @Test
    void everyAxisValueRoundTripsThroughRenderAndParse() {
        TrialConfig t = Grid.expand(parse(GridParserTest.FULL)).get(5);
        for (Axis axis : Axis.values()) {
            Object v = Grid.valueOf(t, axis);
            assertThat(axis.parse(Axis.render(v))).as(axis.key()).isEqualTo(v);
        }
    }

    @Test
    void countFromTheAxisSizesAgreesWithTheExpansionWithOverlappingExclusions() {
        GridSpec spec = parse("""
                seeds: [1, 2, 3]
                axes:
                  activation: [sigmoid, tanh, relu]
                  depth: [2, 4, 8]
                  width: [8, 16]
                  residual: [false, true]
                exclude:
                  - {activation: sigmoid, depth: 8}
                  - {depth: 8, residual: true}
                  - {activation: tanh}
                dataset: {kind: spirals}
                """);
        List<TrialConfig> expanded = Grid.expand(spec);
        assertThat(Grid.count(spec)).isEqualTo(expanded.size());
        List<String> lazily = new java.util.ArrayList<>();
        Grid.iterate(spec).forEachRemaining(t -> lazily.add(t.trialId()));
        assertThat(lazily).isEqualTo(expanded.stream().map(TrialConfig::trialId).toList());
    }

    @Test
    void anEighteenMillionTrialGridIsCountedAndItsFirstTrialsListedWithoutBuildingIt() {
        // 6 × 5 × 4 × 5 × 10 × 6 × 5 combinations × 100 seeds = 18,000,000 trials: expanding it exhausted the heap.
        String seeds = java.util.stream.LongStream.rangeClosed(1, 100).mapToObj(Long::toString).collect(Collectors.joining(", "));
        GridSpec spec = parse("""
                seeds: [%s]
                axes:
                  activation: [sigmoid, tanh, relu, leakyrelu, elu, gelu]
                  init: [xavier, he, lecun, "normal(1.0)", "normal(0.1)"]
                  depth: [2, 4, 8, 16]
                  width: [8, 16, 32, 64, 128]
                  learning_rate: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
                  batch_size: [8, 16, 32, 64, 128, 256]
                  steps: [10, 20, 50, 100, 200]
                exclude:
                  - {activation: sigmoid, init: he}
                dataset: {kind: spirals}
                """.formatted(seeds));
        assertThat(spec.fullSize()).isEqualTo(18_000_000L);
        assertThat(Grid.count(spec)).isEqualTo(18_000_000L - 18_000_000L / 30);
        java.util.Iterator<TrialConfig> it = Grid.iterate(spec);
        assertThat(it.next().seed()).isEqualTo(1);
        assertThat(it.next().seed()).isEqualTo(2);
    }

    @Test
    void rawIndicesRebuildEveryTrialOfTheExpansionInOrderExclusionsSkipped() {
        GridSpec spec = parse("""
                seeds: [1, 2, 3]
                axes:
                  activation: [sigmoid, tanh, relu]
                  depth: [4, 8]
                  batchnorm: [false, true]
                exclude:
                  - {depth: 8, activation: relu}
                dataset: {kind: spirals}
                """);
        List<TrialConfig> expanded = Grid.expand(spec);
        List<Long> raws = new java.util.ArrayList<>();
        List<TrialConfig> visited = new java.util.ArrayList<>();
        Grid.forEachIndexed(spec, (raw, t) -> {
            raws.add(raw);
            visited.add(t);
        });
        assertThat(visited).isEqualTo(expanded);
        assertThat(raws).doesNotHaveDuplicates().isSorted();
        assertThat(raws.get(raws.size() - 1)).isLessThan(3L * 2 * 2 * 3);
        for (int i = 0; i < raws.size(); i++) {
            assertThat(Grid.at(spec, raws.get(i))).isEqualTo(expanded.get(i));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Grid.at(spec, 36))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside grid");
    }

    @Test
    void slicesHoldEachTrialOnceAndShareTheirFixedAxesValues() {
        GridSpec spec = parse("""
                seeds: [1, 2, 3]
                axes:
                  activation: [sigmoid, tanh, relu]
                  depth: [2, 4, 8]
                  width: [8, 16]
                  init: [xavier, he]
                exclude:
                  - {activation: sigmoid, init: he}
                  - {depth: 8, width: 16}
                dataset: {kind: spirals}
                """);
        java.util.Map<Long, TrialConfig> byRaw = new java.util.LinkedHashMap<>();
        Grid.forEachIndexed(spec, byRaw::put);
        List<Grid.Slice> slices = Grid.slices(spec, Set.of(Axis.DEPTH), 1_000).orElseThrow();
        // depth, and the axes the exclusions name (activation, init, width), are fixed per slice; seeds vary inside
        assertThat(slices).allMatch(sl -> sl.size() == 3);
        List<Long> raws = new java.util.ArrayList<>();
        for (Grid.Slice sl : slices) {
            long previous = -1;
            for (long k = 0; k < sl.size(); k++) {
                long raw = sl.raw(k);
                assertThat(raw).as("raw indices grow with k").isGreaterThan(previous);
                previous = raw;
                raws.add(raw);
                TrialConfig t = byRaw.get(raw);
                assertThat(t).as("raw %d is a trial of the grid", raw).isNotNull();
                assertThat(Grid.at(spec, raw)).isEqualTo(t);
                assertThat(t.depth()).isEqualTo(sl.representative().depth());
                assertThat(t.width()).isEqualTo(sl.representative().width());
                assertThat(t.activation()).isEqualTo(sl.representative().activation());
            }
        }
        assertThat(raws).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(byRaw.keySet());
        // a slice per value of a free axis is more than the limit allows: refused, not truncated
        assertThat(Grid.slices(spec, Set.of(Axis.DEPTH), 10)).isEmpty();
        // with no fixed axis and no exclusion a slice is the whole grid, in grid order
        GridSpec plain = parse("""
                seeds: [1, 2]
                axes:
                  activation: [tanh, relu]
                  depth: [2, 4]
                dataset: {kind: spirals}
                """);
        List<Grid.Slice> one = Grid.slices(plain, Set.of(), 1).orElseThrow();
        assertThat(one).hasSize(1);
        List<TrialConfig> expanded = Grid.expand(plain);
        for (int k = 0; k < expanded.size(); k++) {
            assertThat(Grid.at(plain, one.get(0).raw(k))).isEqualTo(expanded.get(k));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> one.get(0).raw(8))
                .hasMessage("trial number 8 is outside a slice of 8 trials");
    }
}
