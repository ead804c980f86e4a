package io.gradflow.grid;

import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Parsing and validation of grid text. Every rejected input is checked for a message that names the file, the
 * line, the field, the value and (where there is a closed set) the allowed values.
 */
class GridParserTest {

    static final String ORIGIN = "grid.yaml";

    static final String FULL = """
            name: remedies-v1
            description: every section of a grid file
            seeds: [1, 2, 3]
            axes:
              activation: [sigmoid, relu]
              init: [xavier, "normal(0.5)"]
              batchnorm: [false, true]
              depth: [4, 8]
            training:
              width: 32
              steps: 100
              batch_size: 16
              optimizer: adam
              learning_rate: 0.001
              dtype: double
              residual: true
              target_loss: 0.25
            dataset:
              kind: teacher
              samples: 500
              classes: 4
              features: 8
              noise: 0.3
              test_fraction: 0.25
              seed: 7
            statistics:
              schedule: every
              every: 5
              curve_every: 2
            health:
              vanishing_below: -3
              exploding_above: 1.5
            exclude:
              - {activation: sigmoid, batchnorm: true}
              - {init: "normal(0.5)", depth: 8, activation: relu}
            """;

    static final String MINIMAL = """
            seeds: [1]
            dataset: {kind: spirals}
            """;

    static GridSpec parse(String text) {
        return GridParser.parse(text, ORIGIN, "test");
    }

    /** Parses text that must be rejected and returns the message. */
    static String error(String text) {
        GridException e = catchThrowableOfType(GridException.class, () -> parse(text));
        assertThat(e).as("grid should be rejected:%n%s", text).isNotNull();
        return e.getMessage();
    }

    static void assertRejected(String text, int line, String... fragments) {
        String message = error(text);
        assertThat(message).startsWith(ORIGIN + " line " + line + ": ");
        assertThat(message).contains(fragments);
    }

    // ---------------------------------------------------------------------------------------------- valid input

    @Test
    void parsesEverySectionOfAFullGridToTypedValues() {
        GridSpec spec = parse(FULL);

        assertThat(spec.name()).isEqualTo("remedies-v1");
        assertThat(spec.seeds()).containsExactly(1L, 2L, 3L);
        assertThat(spec.axes().keySet()).containsExactly(Axis.ACTIVATION, Axis.INIT, Axis.BATCHNORM, Axis.DEPTH);
        assertThat(spec.axisNames()).containsExactly("activation", "init", "batchnorm", "depth");
        assertThat(spec.axes().get(Axis.ACTIVATION)).containsExactly(Activation.SIGMOID, Activation.RELU);
        assertThat(spec.axes().get(Axis.INIT)).containsExactly(InitSpec.of(InitSpec.Kind.XAVIER), InitSpec.normal(0.5));
        assertThat(spec.axes().get(Axis.BATCHNORM)).containsExactly(false, true);
        assertThat(spec.axes().get(Axis.DEPTH)).containsExactly(4, 8);

        assertThat(spec.fixed()).containsExactlyInAnyOrderEntriesOf(Map.of(
                Axis.WIDTH, 32,
                Axis.STEPS, 100,
                Axis.BATCH_SIZE, 16,
                Axis.OPTIMIZER, Optimizer.ADAM,
                Axis.LEARNING_RATE, 0.001,
                Axis.DTYPE, Precision.DOUBLE,
                Axis.RESIDUAL, Residual.UNIT));
        assertThat(spec.targetLoss()).isEqualTo(0.25);

        assertThat(spec.dataset()).isEqualTo(new DatasetSpec(DatasetKind.TEACHER, 500, 4, 8, 0.3, 0.25, 7, null, null));
        assertThat(spec.schedule()).isEqualTo(new StatsSchedule("every", 5, 2));
        assertThat(spec.health()).isEqualTo(new HealthThresholds(-3, 1.5));
        assertThat(spec.exclude()).containsExactly(
                Map.of(Axis.ACTIVATION, Activation.SIGMOID, Axis.BATCHNORM, true),
                Map.of(Axis.INIT, InitSpec.normal(0.5), Axis.DEPTH, 8, Axis.ACTIVATION, Activation.RELU));
        assertThat(spec.source()).isEqualTo(FULL);
        assertThat(spec.fullSize()).isEqualTo(2 * 2 * 2 * 2 * 3);
    }

    @Test
    void fullGridTrialsCarryTheFixedSettingsAndSections() {
        GridSpec spec = parse(FULL);
        TrialConfig first = Grid.expand(spec).get(0);

        assertThat(first.activation()).isEqualTo(Activation.SIGMOID);
        assertThat(first.init()).isEqualTo(InitSpec.of(InitSpec.Kind.XAVIER));
        assertThat(first.batchnorm()).isFalse();
        assertThat(first.depth()).isEqualTo(4);
        assertThat(first.seed()).isEqualTo(1L);
        assertThat(first.residual()).isEqualTo(Residual.UNIT);
        assertThat(first.width()).isEqualTo(32);
        assertThat(first.steps()).isEqualTo(100);
        assertThat(first.batchSize()).isEqualTo(16);
        assertThat(first.optimizer()).isEqualTo(Optimizer.ADAM);
        assertThat(first.learningRate()).isEqualTo(0.001);
        assertThat(first.dtype()).isEqualTo(Precision.DOUBLE);
        assertThat(first.targetLoss()).isEqualTo(0.25);
        assertThat(first.dataset()).isSameAs(spec.dataset());
        assertThat(first.schedule()).isEqualTo(new StatsSchedule("every", 5, 2));
        assertThat(first.health()).isEqualTo(new HealthThresholds(-3, 1.5));
    }

    @Test
    void absentSectionsTakeTheirDefaults() {
        GridSpec spec = parse(MINIMAL);

        assertThat(spec.name()).isEqualTo("test");
        assertThat(spec.axes()).isEmpty();
        assertThat(spec.fixed()).isEmpty();
        assertThat(spec.exclude()).isEmpty();
        assertThat(spec.targetLoss()).isEqualTo(0.5);
        assertThat(spec.schedule()).isEqualTo(new StatsSchedule("log2", 0, 1));
        assertThat(spec.health()).isEqualTo(new HealthThresholds(-2.0, 2.0));
        assertThat(spec.dataset()).isEqualTo(new DatasetSpec(DatasetKind.SPIRALS, 2000, 3, 16, 0.1, 0.2, 0, null, null));

        List<TrialConfig> trials = Grid.expand(spec);
        assertThat(trials).hasSize(1);
        TrialConfig t = trials.get(0);
        assertThat(t.activation()).isEqualTo(Activation.RELU);
        assertThat(t.init()).isEqualTo(InitSpec.of(InitSpec.Kind.HE));
        assertThat(t.batchnorm()).isFalse();
        assertThat(t.residual()).isEqualTo(Residual.NONE);
        assertThat(t.depth()).isEqualTo(5);
        assertThat(t.width()).isEqualTo(64);
        assertThat(t.steps()).isEqualTo(200);
        assertThat(t.batchSize()).isEqualTo(64);
        assertThat(t.optimizer()).isEqualTo(Optimizer.SGD);
        assertThat(t.learningRate()).isEqualTo(0.01);
        assertThat(t.dtype()).isEqualTo(Precision.FLOAT);
        assertThat(t.seed()).isEqualTo(1L);
    }

    @Test
    void generatorNoiseDefaultDependsOnTheKind() {
        GridSpec blobs = parse("""
                seeds: [1]
                dataset: {kind: blobs}
                """);
        assertThat(blobs.dataset().noise()).isEqualTo(1.0);
        assertThat(parse(MINIMAL).dataset().noise()).isEqualTo(0.1);
    }

    @Test
    void statisticsSectionWithoutScheduleKeepsLog2AndReadsCurveEvery() {
        GridSpec spec = parse("""
                seeds: [1]
                dataset: {kind: spirals}
                statistics: {curve_every: 10}
                """);
        assertThat(spec.schedule()).isEqualTo(new StatsSchedule("log2", 0, 10));
    }

    @Test
    void healthSectionWithOneKeyKeepsTheOtherDefault() {
        GridSpec spec = parse("""
                seeds: [1]
                dataset: {kind: spirals}
                health: {exploding_above: 3}
                """);
        assertThat(spec.health()).isEqualTo(new HealthThresholds(-2.0, 3.0));
    }

    @Test
    void csvDatasetKeepsPathAndLabel() {
        GridSpec spec = parse("""
                seeds: [1]
                dataset:
                  kind: csv
                  path: /data/iris.csv
                  label: species
                  test_fraction: 0.3
                """);
        assertThat(spec.dataset().kind()).isEqualTo(DatasetKind.CSV);
        assertThat(spec.dataset().path()).isEqualTo("/data/iris.csv");
        assertThat(spec.dataset().label()).isEqualTo("species");
        assertThat(spec.dataset().testFraction()).isEqualTo(0.3);
    }

    @Test
    void aSingleScalarAxisValueIsAOneValueAxis() {
        GridSpec spec = parse("""
                seeds: 9
                axes:
                  depth: 3
                dataset: {kind: spirals}
                """);
        assertThat(spec.seeds()).containsExactly(9L);
        assertThat(spec.axes().get(Axis.DEPTH)).containsExactly(3);
    }

    @Test
    void activationAndBooleanSpellingsAreCaseInsensitive() {
        GridSpec spec = parse("""
                seeds: [1]
                axes:
                  activation: [ReLU, TANH]
                  residual: [True, FALSE]
                dataset: {kind: spirals}
                """);
        assertThat(spec.axes().get(Axis.ACTIVATION)).containsExactly(Activation.RELU, Activation.TANH);
        assertThat(spec.axes().get(Axis.RESIDUAL)).containsExactly(Residual.UNIT, Residual.NONE);
    }

    @Test
    void largeDatasetSeedIsAccepted() {
        GridSpec spec = parse("""
                seeds: [1]
                dataset: {kind: spirals, seed: 5000000000}
                """);
        assertThat(spec.dataset().seed()).isEqualTo(5_000_000_000L);
    }

    @Test
    void parseFileTakesTheNameFromTheFileStem(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("my-sweep.yaml");
        Files.writeString(file, MINIMAL, StandardCharsets.UTF_8);

        GridSpec spec = GridParser.parseFile(file);

        assertThat(spec.name()).isEqualTo("my-sweep");
        assertThat(spec.source()).isEqualTo(MINIMAL);
    }

    @Test
    void parseFileKeepsAnExplicitNameAndNamesTheFileInErrors(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("a.yml");
        Files.writeString(good, "name: explicit\n" + MINIMAL, StandardCharsets.UTF_8);
        assertThat(GridParser.parseFile(good).name()).isEqualTo("explicit");

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "seeds: [1]\ndataset: {kind: mnist}\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> GridParser.parseFile(bad))
                .isInstanceOf(GridException.class)
                .hasMessageStartingWith(bad + " line 2: ")
                .hasMessageContaining("'mnist'");
    }

    @Test
    void parseFileOfAMissingFileSaysItDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> GridParser.parseFile(missing))
                .isInstanceOf(GridException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");
    }

    // ---------------------------------------------------------------------------------------------- bad input

    @Test
    void malformedYamlNamesTheLine() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes:
                  depth: [2]
                    width: [3]
                """, 5, "malformed");
    }

    @Test
    void unclosedFlowSequenceIsMalformed() {
        String message = error("""
                seeds: [1, 2
                dataset: {kind: spirals}
                """);
        assertThat(message).startsWith(ORIGIN + " line ").contains("malformed");
    }

    @Test
    void unclosedBracketPointsAtTheLineWhereItOpened() {
        assertThat(error("""
                name: x
                seeds: [1, 2
                dataset: {kind: spirals}
                """)).isEqualTo(ORIGIN + " line 2: the YAML is malformed: the '[' opened at line 2, column 8 is not "
                + "closed with ']' (line 3 continues without it)");
        assertThat(error("""
                seeds: [1]
                dataset: {kind: spirals
                axes: {depth: [2]}
                """)).startsWith(ORIGIN + " line 2: the YAML is malformed: the '{' opened at line 2, column 10 is not "
                + "closed with '}'");
    }

    @Test
    void emptyTextIsRejected() {
        assertThat(error("")).startsWith(ORIGIN + ": ").contains("empty");
    }

    @Test
    void topLevelThatIsNotAMappingIsRejected() {
        assertRejected("- 1\n- 2\n", 1, "must be a mapping");
    }

    @Test
    void unknownTopLevelKeyListsTheKnownKeys() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                seed: 3
                """, 3, "seed is not a known key", "axes", "dataset", "exclude", "health", "seeds", "statistics",
                "training");
    }

    @Test
    void unknownAxisListsTheKnownAxes() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2]
                  dropout: [0.1]
                dataset: {kind: spirals}
                """, 4, "axis 'dropout' is not known", Axis.allowed());
    }

    @Test
    void axisGivenTwiceIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2]
                  depth: [3]
                dataset: {kind: spirals}
                """, 4, "axes lists 'depth' twice");
    }

    @Test
    void unknownActivationListsTheAllowedOnes() {
        assertRejected("""
                seeds: [1]
                axes:
                  activation: [relu,
                               relu6]
                dataset: {kind: spirals}
                """, 4, "activation 'relu6' is not supported",
                "sigmoid, tanh, relu, leakyrelu, elu, gelu, identity, softsign, selu");
    }

    @Test
    void unknownInitListsTheAllowedOnes() {
        assertRejected("""
                seeds: [1]
                axes:
                  init: [glorot]
                dataset: {kind: spirals}
                """, 3, "init 'glorot' is not supported", "xavier", "he", "lecun", "normal(");
    }

    @Test
    void normalWithZeroStdIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  init: [he, "normal(0)"]
                dataset: {kind: spirals}
                """, 3, "init 'normal(0", "above 0");
    }

    @Test
    void normalWithANonNumberIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  init: [he, "normal(abc)"]
                dataset: {kind: spirals}
                """, 3, "init 'normal(abc)'", "needs a number");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "100000"})
    void depthOutOfRangeNamesTheValueAndTheRange(String depth) {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [4, %s]
                dataset: {kind: spirals}
                """.formatted(depth), 3, "depth " + depth + " is not allowed", "between 1 and " + TrialConfig.MAX_DEPTH);
    }

    @Test
    void depthThatIsNotANumberIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [deep]
                dataset: {kind: spirals}
                """, 3, "depth 'deep' is not a whole number");
    }

    @Test
    void widthZeroIsRejected() {
        assertRejected("""
                seeds: [1]
                training:
                  width: 0
                dataset: {kind: spirals}
                """, 3, "width 0 is not allowed", "between 1 and " + TrialConfig.MAX_WIDTH);
    }

    @Test
    void stepsZeroIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                training: {steps: 0}
                """, 3, "steps 0 is not allowed", "between 1 and " + TrialConfig.MAX_STEPS);
    }

    @Test
    void batchSizeZeroIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes:
                  batch_size: [32, 0]
                """, 4, "batch_size 0 is not allowed", "between 1 and " + TrialConfig.MAX_BATCH);
    }

    @Test
    void learningRateZeroIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes:
                  learning_rate: [0.1, 0]
                """, 4, "learning_rate 0 is not allowed", "above 0 and at most 10");
    }

    @Test
    void learningRateHundredIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                training:
                  learning_rate: 100
                """, 4, "learning_rate 100 is not allowed", "above 0 and at most 10");
    }

    @Test
    void unknownOptimizerListsTheAllowedOnes() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                training: {optimizer: rmsprop}
                """, 3, "optimizer 'rmsprop' is not supported", "sgd, momentum, adam");
    }

    @Test
    void nonBooleanBatchnormIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                axes: {batchnorm: [yes]}
                """, 3, "batchnorm 'yes' is not a boolean", "true, false");
    }

    @Test
    void emptyAxisListIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2]
                  width: []
                dataset: {kind: spirals}
                """, 4, "axes.width is empty");
    }

    @Test
    void duplicateAxisValuesAreRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2, 4,
                    2]
                dataset: {kind: spirals}
                """, 4, "axes.depth lists '2' twice");
    }

    @Test
    void duplicateValuesAreComparedByMeaningNotSpelling() {
        assertRejected("""
                seeds: [1]
                axes:
                  init: ["normal(1)", "normal(1.0)"]
                dataset: {kind: spirals}
                """, 3, "axes.init lists 'normal(1.0)' twice");
    }

    @Test
    void duplicateSeedsAreRejected() {
        assertRejected("""
                seeds:
                  - 1
                  - 2
                  - 1
                dataset: {kind: spirals}
                """, 4, "seeds lists 1 twice");
    }

    @Test
    void nonIntegerSeedIsRejected() {
        assertRejected("""
                seeds: [1, 2.5]
                dataset: {kind: spirals}
                """, 1, "seeds value '2.5' is not a whole number");
    }

    @Test
    void missingSeedsIsRejected() {
        assertThat(error("""
                axes: {depth: [2]}
                dataset: {kind: spirals}
                """)).startsWith(ORIGIN + ": ").contains("seeds is missing");
    }

    @Test
    void emptySeedsIsRejected() {
        assertRejected("""
                dataset: {kind: spirals}
                seeds: []
                """, 2, "seeds is empty");
    }

    @Test
    void missingDatasetIsRejected() {
        assertThat(error("""
                seeds: [1]
                axes: {depth: [2]}
                """)).startsWith(ORIGIN + ": ").contains("dataset is missing");
    }

    @Test
    void datasetWithoutKindListsTheKinds() {
        assertRejected("""
                seeds: [1]
                dataset:
                  samples: 100
                """, 3, "dataset.kind is missing", DatasetKind.allowed());
    }

    @Test
    void unknownDatasetKindListsTheKinds() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: mnist
                """, 3, "dataset kind 'mnist' is not supported", "spirals, teacher, blobs, csv, parquet");
    }

    @Test
    void unknownDatasetKeyIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: spirals
                  size: 100
                """, 4, "dataset.size is not a known key", "samples");
    }

    @Test
    void csvWithoutPathIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: csv
                  label: y
                """, 3, "dataset.path must be given", "'csv'");
    }

    @Test
    void csvWithoutLabelIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: csv
                  path: data.csv
                """, 3, "dataset.label must name the label column", "'csv'");
    }

    @Test
    void pathOnAGeneratedKindIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: blobs
                  path: data.csv
                """, 3, "dataset.path and dataset.label only apply", "'blobs'");
    }

    @Test
    void testFractionAboveOneNamesItsLine() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: blobs
                  test_fraction: 1.5
                """, 4, "dataset.test_fraction 1.5 is not allowed", "between 0 and 1");
    }

    @Test
    void tooFewSamplesNamesTheirLine() {
        assertRejected("""
                seeds: [1]
                dataset:
                  kind: blobs
                  classes: 2
                  samples: 5
                """, 5, "dataset.samples 5 is not allowed", "between 10 and");
    }

    @Test
    void trainingKeyThatIsAlsoAnAxisIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2, 4]
                training:
                  width: 8
                  depth: 3
                dataset: {kind: spirals}
                """, 6, "training.depth is also an axis");
    }

    @Test
    void unknownTrainingKeyListsTheSettings() {
        assertRejected("""
                seeds: [1]
                training:
                  momentum: 0.9
                dataset: {kind: spirals}
                """, 3, "training.momentum is not a known setting", Axis.allowed(), "target_loss");
    }

    @Test
    void nonPositiveTargetLossIsRejected() {
        assertRejected("""
                seeds: [1]
                training:
                  target_loss: -1
                dataset: {kind: spirals}
                """, 3, "training.target_loss -1.0 is not allowed", "positive");
    }

    @Test
    void excludeNamingANonAxisListsTheAxes() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2, 4]
                  activation: [relu, tanh]
                training: {width: 8}
                exclude:
                  - {depth: 2, width: 8}
                dataset: {kind: spirals}
                """, 7, "exclude[0] names 'width', which is not an axis", "depth, activation");
    }

    @Test
    void excludeValueNotOnTheAxisListsTheValues() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2, 4]
                  activation: [relu, tanh]
                exclude:
                  - {depth: 2}
                  - activation: sigmoid
                dataset: {kind: spirals}
                """, 7, "exclude[1].activation 'sigmoid' is not a value of axis activation", "relu, tanh");
    }

    @Test
    void emptyExcludeEntryIsRejected() {
        assertRejected("""
                seeds: [1]
                axes:
                  depth: [2, 4]
                exclude:
                  - {}
                dataset: {kind: spirals}
                """, 5, "exclude[0] is empty");
    }

    @Test
    void excludeRemovingEveryTrialIsRejected() {
        assertThat(error("""
                seeds: [1, 2]
                axes:
                  depth: [2, 4]
                  activation: [relu, tanh]
                exclude:
                  - {depth: 2}
                  - {depth: 4}
                dataset: {kind: spirals}
                """)).startsWith(ORIGIN + ": ").contains("exclude removes every trial");
    }

    @Test
    void unknownStatisticsScheduleListsTheSchedules() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                statistics:
                  curve_every: 5
                  schedule: linear
                """, 5, "statistics.schedule 'linear' is not supported", "log2, every");
    }

    @Test
    void everyScheduleWithoutAPositiveIntervalIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                statistics:
                  schedule: every
                  every: 0
                """, 5, "statistics.every 0 is not allowed", "at least 1");
    }

    @Test
    void nonNumericStatisticsIntervalIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                statistics: {schedule: every, every: often}
                """, 3, "statistics.every 'often' is not a whole number");
    }

    @Test
    void unknownStatisticsKeyIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                statistics:
                  interval: 5
                """, 4, "statistics.interval is not a known key", "curve_every, every, schedule");
    }

    @Test
    void positiveVanishingThresholdIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                health:
                  exploding_above: 2
                  vanishing_below: 2
                """, 5, "health.vanishing_below 2.0 is not allowed", "negative");
    }

    @Test
    void negativeExplodingThresholdIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                health:
                  vanishing_below: -2
                  exploding_above: -1
                """, 5, "health.exploding_above -1.0 is not allowed", "positive");
    }

    @Test
    void nameWithASlashIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                name: sweeps/one
                """, 3, "name 'sweeps/one' is not allowed", "letters, digits");
    }

    @Test
    void aKeyGivenTwiceIsRejected() {
        assertRejected("""
                seeds: [1]
                dataset: {kind: spirals}
                seeds: [2]
                """, 3, "seeds is given twice");
    }
}
