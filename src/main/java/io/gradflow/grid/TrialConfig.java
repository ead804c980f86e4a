package io.gradflow.grid;

import io.gradflow.data.DatasetSpec;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One point of a grid with one seed: everything a Spark task needs to train and measure one network.
 * The trial id is a hash of {@link #canonical()}, so it depends on nothing but the configuration: not on time,
 * order, partition or sweep name, and the same configuration in two sweeps has the same id.
 *
 * @param activation   hidden-block activation
 * @param init         weight initialization of every weight layer
 * @param batchnorm    whether each hidden block normalizes its pre-activation
 * @param residual     the form of each hidden block's skip connection (none, x + F(x), scaled, rezero)
 * @param depth        number of hidden blocks
 * @param width        units per hidden block
 * @param steps        training steps (minibatches)
 * @param batchSize    examples per minibatch
 * @param optimizer    updater
 * @param learningRate step size
 * @param dtype        floating-point type of the network
 * @param seed         the user's seed (the value listed under {@code seeds})
 * @param dataset      the data
 * @param schedule     when statistics are sampled
 * @param targetLoss   the training loss whose first crossing gives steps_to_target
 * @param health       verdict thresholds
 * @param clip         gradient clipping between the statistics and the updater
 * @param parallelism  task (one Spark task) or data (DL4J Spark across the executors); null reads as task, as in
 *                     journals written before this setting existed
 * @param pretrain     greedy layer-wise pretraining before training ({@link PretrainSpec#NONE}: none)
 */
public record TrialConfig(Activation activation, InitSpec init, boolean batchnorm, Residual residual, int depth,
                          int width, int steps, int batchSize, Optimizer optimizer, double learningRate,
                          Precision dtype, long seed, DatasetSpec dataset, StatsSchedule schedule,
                          double targetLoss, HealthThresholds health, ClipSpec clip, Parallelism parallelism,
                          PretrainSpec pretrain) implements Serializable {

    public static final int MAX_DEPTH = 1000;
    public static final int MAX_WIDTH = 16384;
    public static final int MAX_STEPS = 10_000_000;
    public static final int MAX_BATCH = 1_000_000;

    public TrialConfig {
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(init, "init");
        Objects.requireNonNull(residual, "residual");
        Objects.requireNonNull(clip, "clip");
        // a journal written before the pretrain axis deserializes it as null: those trials were not pretrained
        pretrain = pretrain == null ? PretrainSpec.NONE : pretrain;
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(health, "health");
        if (parallelism == null) {
            parallelism = Parallelism.task();
        }
        checkRange("depth", depth, 1, MAX_DEPTH);
        checkRange("width", width, 1, MAX_WIDTH);
        checkRange("steps", steps, 1, MAX_STEPS);
        checkRange("batch_size", batchSize, 1, MAX_BATCH);
        if (!(learningRate > 0) || learningRate > 10) {
            throw new IllegalArgumentException("learning_rate " + learningRate + " is not allowed; it must be above 0 and at most 10");
        }
        if (!(targetLoss > 0) || Double.isInfinite(targetLoss)) {
            throw new IllegalArgumentException("target_loss " + targetLoss + " is not allowed; it must be a positive number");
        }
    }

    /** A task trial with the given clipping and pretraining rules. */
    public TrialConfig(Activation activation, InitSpec init, boolean batchnorm, Residual residual, int depth,
                       int width, int steps, int batchSize, Optimizer optimizer, double learningRate,
                       Precision dtype, long seed, DatasetSpec dataset, StatsSchedule schedule,
                       double targetLoss, HealthThresholds health, ClipSpec clip, PretrainSpec pretrain) {
        this(activation, init, batchnorm, residual, depth, width, steps, batchSize, optimizer, learningRate, dtype,
                seed, dataset, schedule, targetLoss, health, clip, Parallelism.task(), pretrain);
    }

    /**
     * A trial with a unit or no skip connection and no clipping: the settings that existed before the
     * {@code clip} axis and the scaled residual forms.
     */
    public TrialConfig(Activation activation, InitSpec init, boolean batchnorm, boolean residual, int depth,
                       int width, int steps, int batchSize, Optimizer optimizer, double learningRate,
                       Precision dtype, long seed, DatasetSpec dataset, StatsSchedule schedule,
                       double targetLoss, HealthThresholds health) {
        this(activation, init, batchnorm, Residual.of(residual), depth, width, steps, batchSize, optimizer,
                learningRate, dtype, seed, dataset, schedule, targetLoss, health, ClipSpec.NONE, Parallelism.task(),
                PretrainSpec.NONE);
    }

    /** A task trial with the given residual form and clipping rule. */
    public TrialConfig(Activation activation, InitSpec init, boolean batchnorm, Residual residual, int depth,
                       int width, int steps, int batchSize, Optimizer optimizer, double learningRate,
                       Precision dtype, long seed, DatasetSpec dataset, StatsSchedule schedule,
                       double targetLoss, HealthThresholds health, ClipSpec clip) {
        this(activation, init, batchnorm, residual, depth, width, steps, batchSize, optimizer, learningRate, dtype,
                seed, dataset, schedule, targetLoss, health, clip, Parallelism.task(), PretrainSpec.NONE);
    }

    /** A trial with a unit or no skip connection, no clipping and the given parallelism. */
    public TrialConfig(Activation activation, InitSpec init, boolean batchnorm, boolean residual, int depth,
                       int width, int steps, int batchSize, Optimizer optimizer, double learningRate,
                       Precision dtype, long seed, DatasetSpec dataset, StatsSchedule schedule,
                       double targetLoss, HealthThresholds health, Parallelism parallelism) {
        this(activation, init, batchnorm, Residual.of(residual), depth, width, steps, batchSize, optimizer,
                learningRate, dtype, seed, dataset, schedule, targetLoss, health, ClipSpec.NONE, parallelism,
                PretrainSpec.NONE);
    }

    /** This trial with another residual form. */
    public TrialConfig withResidual(Residual r) {
        return new TrialConfig(activation, init, batchnorm, r, depth, width, steps, batchSize, optimizer,
                learningRate, dtype, seed, dataset, schedule, targetLoss, health, clip, parallelism, pretrain);
    }

    /** This trial with another pretraining rule. */
    public TrialConfig withPretrain(PretrainSpec p) {
        return new TrialConfig(activation, init, batchnorm, residual, depth, width, steps, batchSize, optimizer,
                learningRate, dtype, seed, dataset, schedule, targetLoss, health, clip, parallelism, p);
    }

    /** This trial with another initialization rule. */
    public TrialConfig withInit(InitSpec i) {
        return new TrialConfig(activation, i, batchnorm, residual, depth, width, steps, batchSize, optimizer,
                learningRate, dtype, seed, dataset, schedule, targetLoss, health, clip, parallelism, pretrain);
    }

    /** This trial with another clipping rule. */
    public TrialConfig withClip(ClipSpec c) {
        return new TrialConfig(activation, init, batchnorm, residual, depth, width, steps, batchSize, optimizer,
                learningRate, dtype, seed, dataset, schedule, targetLoss, health, c, parallelism, pretrain);
    }

    static void checkRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " " + value + " is not allowed; it must be between " + min + " and " + max);
        }
    }

    /**
     * The stable text form of everything that changes what the trial computes. Health thresholds and the
     * target loss only change how results are judged, so they are left out: changing them keeps the ids. Early
     * stopping ({@code health.stop_early}) changes how long a trial trains, so when on it is in, with the
     * thresholds it stops on (they then decide what is computed).
     * Settings added later appear only away from their old behaviour ({@code ;clip=...} only when clipping,
     * {@code residual=scaled|rezero} only for the new forms), so every configuration that existed before keeps its
     * string, its trial id and its random draws.
     */
    public String canonical() {
        return "activation=" + activation.key()
                + ";init=" + init.canonicalKey()
                + ";batchnorm=" + batchnorm
                + ";residual=" + residual.key()
                + ";depth=" + depth
                + ";width=" + width
                + ";steps=" + steps
                + ";batch_size=" + batchSize
                + ";optimizer=" + optimizer.key()
                + ";learning_rate=" + learningRate
                + ";dtype=" + dtype.key()
                + ";seed=" + seed
                + ";dataset=" + dataset.canonical()
                + ";schedule=" + schedule.canonical()
                + (clip.isNone() ? "" : ";clip=" + clip.key())
                + parallelism.canonical()
                + (pretrain.isNone() ? "" : ";pretrain=" + pretrain.key())
                + (health.stopEarly().isOff() ? "" : ";stop_early=" + health.stopEarly().key()
                        + ",vanishing_below:" + health.vanishingBelow() + ",exploding_above:" + health.explodingAbove());
    }

    /** 16 hex digits of SHA-256 of {@link #canonical()}. */
    public String trialId() {
        return HexFormat.of().formatHex(sha256(canonical()), 0, 8);
    }

    /** The seed of every random choice of the trial (weights, minibatch order), derived from the trial id. */
    public long rngSeed() {
        byte[] h = sha256("rng:" + canonical());
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (h[i] & 0xff);
        }
        return v & Long.MAX_VALUE;
    }

    /** The combination without the seed: trials with equal keys differ only by seed. */
    public String combinationKey() {
        return canonical().replaceFirst(";seed=[^;]*", "");
    }

    /**
     * A rough cost in multiply-adds, used to start the longest trials first so the last wave of tasks does not
     * leave cores idle.
     */
    public double estimatedCost() {
        double perExample = (double) width * width * depth + (double) width * (dataset.features() + 10);
        // pretraining: per block, S steps of a width × width encoder and decoder over the blocks below it
        double pre = pretrain.isNone() ? 0 : (double) pretrain.steps() * batchSize * width * width * (depth * (depth + 1) / 2.0 + 2.0 * depth);
        return perExample * batchSize * steps * (batchnorm ? 1.3 : 1.0) + pre;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
