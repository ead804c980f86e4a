package io.gradflow.grid;

import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetSpec;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The trial id, the derived random seed and the record's own validation. */
class TrialConfigTest {

    static final DatasetSpec SPIRALS = new DatasetSpec(DatasetKind.SPIRALS, 2000, 3, 16, 0.1, 0.2, 0, null, null);

    /** The canonical text of {@link #config(long)} with seed 42, written out by hand. */
    static final String CANONICAL_42 = "activation=relu;init=he;batchnorm=false;residual=true;depth=5;width=64;"
            + "steps=200;batch_size=64;optimizer=sgd;learning_rate=0.01;dtype=float;seed=42;"
            + "dataset=spirals(samples=2000,classes=3,features=2,noise=0.1,test_fraction=0.2,seed=0);schedule=log2";

    static TrialConfig config(long seed) {
        return new TrialConfig(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, true, 5, 64, 200, 64,
                Optimizer.SGD, 0.01, Precision.FLOAT, seed, SPIRALS, StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults());
    }

    static TrialConfig withJudgement(double targetLoss, HealthThresholds health) {
        TrialConfig c = config(42);
        return new TrialConfig(c.activation(), c.init(), c.batchnorm(), c.residual(), c.depth(), c.width(), c.steps(),
                c.batchSize(), c.optimizer(), c.learningRate(), c.dtype(), c.seed(), c.dataset(), c.schedule(),
                targetLoss, health, c.clip());
    }

    static byte[] sha256(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void canonicalFormIsStable() {
        assertThat(config(42).canonical()).isEqualTo(CANONICAL_42);
    }

    @Test
    void trialIdIsTheFirst16HexDigitsOfSha256OfTheCanonicalForm() throws Exception {
        String expected = HexFormat.of().formatHex(sha256(CANONICAL_42)).substring(0, 16);
        assertThat(config(42).trialId()).isEqualTo(expected).matches("[0-9a-f]{16}");
    }

    @Test
    void rngSeedIsDerivedFromTheCanonicalFormAndNonNegative() throws Exception {
        long expected = ByteBuffer.wrap(sha256("rng:" + CANONICAL_42)).getLong() & Long.MAX_VALUE;
        assertThat(config(42).rngSeed()).isEqualTo(expected);
    }

    @Test
    void trialIdIsTheSameForEqualConfigurations() {
        assertThat(config(42).trialId()).isEqualTo(config(42).trialId());
        assertThat(config(42)).isEqualTo(config(42));
    }

    @Test
    void trialIdDiffersWhenAnyComputedSettingDiffers() {
        TrialConfig base = config(42);
        Set<String> ids = new HashSet<>();
        ids.add(base.trialId());
        ids.add(new TrialConfig(Activation.TANH, base.init(), false, true, 5, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, InitSpec.normal(0.01), false, true, 5, 64, 200, 64, Optimizer.SGD,
                0.01, Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), true, true, 5, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, false, 5, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 6, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 65, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 201, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 200, 32, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 200, 64, Optimizer.ADAM, 0.01,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 200, 64, Optimizer.SGD, 0.02,
                Precision.FLOAT, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.DOUBLE, 42, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(config(43).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, new DatasetSpec(DatasetKind.SPIRALS, 2000, 3, 16, 0.1, 0.2, 1, null, null),
                StatsSchedule.log2(), 0.5, HealthThresholds.defaults()).trialId());
        ids.add(new TrialConfig(Activation.RELU, base.init(), false, true, 5, 64, 200, 64, Optimizer.SGD, 0.01,
                Precision.FLOAT, 42, SPIRALS, new StatsSchedule("every", 10, 1), 0.5, HealthThresholds.defaults())
                .trialId());
        assertThat(ids).hasSize(15);
    }

    @Test
    void trialIdIgnoresTargetLossAndHealthThresholds() {
        TrialConfig judgedDifferently = withJudgement(0.05, new HealthThresholds(-5, 7));
        assertThat(judgedDifferently).isNotEqualTo(config(42));
        assertThat(judgedDifferently.trialId()).isEqualTo(config(42).trialId());
        assertThat(judgedDifferently.rngSeed()).isEqualTo(config(42).rngSeed());
        assertThat(judgedDifferently.canonical()).isEqualTo(CANONICAL_42);
    }

    @Test
    void rngSeedIsNonNegativeAndDistinctPerSeed() {
        Set<Long> rngSeeds = new HashSet<>();
        for (long seed = -50; seed < 450; seed++) {
            long r = config(seed).rngSeed();
            assertThat(r).as("rngSeed of seed %d", seed).isNotNegative();
            rngSeeds.add(r);
        }
        assertThat(rngSeeds).hasSize(500);
    }

    @Test
    void rngSeedIsNotTheUserSeed() {
        assertThat(config(42).rngSeed()).isNotEqualTo(42L);
        assertThat(config(42).rngSeed()).isNotEqualTo(Long.parseUnsignedLong(config(42).trialId(), 16) & Long.MAX_VALUE);
    }

    @Test
    void combinationKeyDropsOnlyTheSeed() {
        assertThat(config(1).combinationKey()).isEqualTo(config(2).combinationKey());
        assertThat(config(1).combinationKey())
                .isEqualTo(CANONICAL_42.replace(";seed=42", ""))
                .contains("seed=0)");
    }

    @Test
    void survivesJavaSerializationWithTheSameId() throws Exception {
        TrialConfig original = new TrialConfig(Activation.SIGMOID, InitSpec.normal(0.5), true, false, 3, 16, 10, 8,
                Optimizer.MOMENTUM, 0.1, Precision.DOUBLE, 7,
                new DatasetSpec(DatasetKind.CSV, 0, 0, 0, 0, 0.3, 2, "/d.csv", "y"), new StatsSchedule("every", 3, 2),
                0.2, new HealthThresholds(-1, 1));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(original);
        }
        Object copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = in.readObject();
        }
        assertThat(copy).isEqualTo(original);
        assertThat(((TrialConfig) copy).trialId()).isEqualTo(original.trialId());
    }

    @Test
    void rejectsDepthOutOfRange() {
        assertThatThrownBy(() -> new TrialConfig(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 0, 64,
                200, 64, Optimizer.SGD, 0.01, Precision.FLOAT, 1, SPIRALS, StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("depth 0 is not allowed")
                .hasMessageContaining("between 1 and " + TrialConfig.MAX_DEPTH);
    }

    @Test
    void rejectsBatchSizeOutOfRange() {
        assertThatThrownBy(() -> new TrialConfig(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 5, 64,
                200, TrialConfig.MAX_BATCH + 1, Optimizer.SGD, 0.01, Precision.FLOAT, 1, SPIRALS, StatsSchedule.log2(),
                0.5, HealthThresholds.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch_size " + (TrialConfig.MAX_BATCH + 1) + " is not allowed");
    }

    @Test
    void rejectsNanLearningRate() {
        assertThatThrownBy(() -> new TrialConfig(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 5, 64,
                200, 64, Optimizer.SGD, Double.NaN, Precision.FLOAT, 1, SPIRALS, StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("learning_rate NaN is not allowed");
    }

    @Test
    void rejectsInfiniteTargetLoss() {
        assertThatThrownBy(() -> withJudgement(Double.POSITIVE_INFINITY, HealthThresholds.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target_loss Infinity is not allowed");
    }

    @Test
    void rejectsMissingActivation() {
        assertThatThrownBy(() -> new TrialConfig(null, InitSpec.of(InitSpec.Kind.HE), false, false, 5, 64, 200, 64,
                Optimizer.SGD, 0.01, Precision.FLOAT, 1, SPIRALS, StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults()))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("activation");
    }

    @Test
    void estimatedCostGrowsWithTheWorkAndWithBatchNorm() {
        TrialConfig base = config(1);
        TrialConfig deeper = new TrialConfig(Activation.RELU, base.init(), false, true, 10, 64, 200, 64,
                Optimizer.SGD, 0.01, Precision.FLOAT, 1, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults());
        TrialConfig normalized = new TrialConfig(Activation.RELU, base.init(), true, true, 5, 64, 200, 64,
                Optimizer.SGD, 0.01, Precision.FLOAT, 1, SPIRALS, StatsSchedule.log2(), 0.5, HealthThresholds.defaults());
        assertThat(base.estimatedCost()).isPositive();
        assertThat(deeper.estimatedCost()).isGreaterThan(base.estimatedCost());
        assertThat(normalized.estimatedCost()).isCloseTo(1.3 * base.estimatedCost(), org.assertj.core.data.Offset.offset(1e-6 * base.estimatedCost()));
    }
}
