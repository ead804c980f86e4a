package io.gradflow.store;

import io.gradflow.analysis.ComparisonRow;
import io.gradflow.analysis.EffectRow;
import io.gradflow.analysis.Outcome;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.CurvePoint;
import io.gradflow.trial.LayerStat;
import io.gradflow.trial.TrialSummary;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The one place that defines every dataset gradflow writes: names, types, nullability and meaning of each
 * column. The README's column tables are generated from here ({@link #markdown()}) and a test keeps them equal.
 */
public final class Schemas {

    private Schemas() {
    }

    /** A trial row together with the sweep that produced it. */
    public record SweepTrial(String sweep, TrialSummary summary) {
        TrialConfig config() {
            return summary.config();
        }
    }

    private static <T> Column<T> req(String name, DataType type, String doc, Function<T, Object> get) {
        return new Column<>(name, type, false, doc, get);
    }

    private static <T> Column<T> opt(String name, DataType type, String doc, Function<T, Object> get) {
        return new Column<>(name, type, true, doc, get);
    }

    private static final DataType S = DataTypes.StringType;
    private static final DataType I = DataTypes.IntegerType;
    private static final DataType L = DataTypes.LongType;
    private static final DataType D = DataTypes.DoubleType;
    private static final DataType B = DataTypes.BooleanType;

    /** One row per trial. */
    public static final Table<SweepTrial> TRIALS = new Table<>("trials",
            "one row per trial (one remedy combination × one seed)", List.of(
            req("trial_id", S, "16 hex digits of SHA-256 of `config`: stable across runs and sweeps", t -> t.config().trialId()),
            req("combination_id", S, "16 hex digits of SHA-256 of `config` without the seed: equal for the seeds of one combination", t -> combinationId(t.config())),
            req("sweep", S, "sweep name (the grid's `name`)", SweepTrial::sweep),
            req("activation", S, "hidden-block activation", t -> t.config().activation().key()),
            req("init", S, "weight initialization: xavier, he, lecun, normal(std), or a warm start pretrained(PATH) / pretrained(SWEEP, ID) (`config` adds the models' weights fingerprint)", t -> t.config().init().key()),
            req("batchnorm", B, "whether each block normalizes its pre-activation", t -> t.config().batchnorm()),
            req("residual", B, "whether each block has a skip connection (residual_form true, scaled or rezero)", t -> t.config().residual().hasSkip()),
            req("residual_form", S, "the `residual` axis value: false (plain), true (x + F(x)), scaled (x + F(x)/√depth) or rezero (x + α·F(x), α learnt from 0)", t -> t.config().residual().key()),
            req("depth", I, "number of hidden blocks", t -> t.config().depth()),
            req("width", I, "units per hidden block", t -> t.config().width()),
            req("steps", I, "configured training steps", t -> t.config().steps()),
            req("batch_size", I, "examples per minibatch", t -> t.config().batchSize()),
            req("optimizer", S, "sgd, momentum (Nesterov 0.9) or adam", t -> t.config().optimizer().key()),
            req("learning_rate", D, "step size", t -> t.config().learningRate()),
            req("dtype", S, "float or double", t -> t.config().dtype().key()),
            req("clip", S, "gradient clipping: none, norm(c) (global L2 norm of all gradients, Pascanu et al.), layer_norm(c) (DL4J's ClipL2PerLayer) or value(c) (DL4J's ClipElementWiseAbsoluteValue); c bounds the gradient of the mean minibatch loss", t -> t.config().clip().key()),
            req("parallelism", S, "task (the trial ran as one Spark task) or data (DL4J Spark parameter averaging across the executors)", t -> t.config().parallelism().mode().key()),
            req("workers", I, "data: workers as configured (0 = every executor core); 0 for task trials", t -> t.config().parallelism().workers()),
            req("batch_size_per_worker", I, "data: examples per worker per local step as configured (0 = batch_size); 0 for task trials", t -> t.config().parallelism().batchSizePerWorker()),
            req("averaging_frequency", I, "data: local steps between parameter averagings; 1 for task trials", t -> t.config().parallelism().averagingFrequency()),
            req("pretrain", S, "greedy layer-wise pretraining before step 0: none, or autoencoder(S) / autoencoder(S, p): each hidden block in turn trained S steps as an autoencoder (p: masking-noise probability of a denoising one) on the blocks below it", t -> t.config().pretrain().key()),
            req("dataset", S, "canonical description of the data", t -> t.config().dataset().canonical()),
            req("seed", L, "the user's seed from the grid", t -> t.config().seed()),
            req("rng_seed", L, "DL4J's network seed, derived from the configuration; the initial weights' standard-normal draws and the minibatch order derive from `seed` and the shapes only (common random numbers), so trials that differ in a shape-preserving setting share them", t -> t.config().rngSeed()),
            req("verdict", S, "HEALTHY, VANISHING, EXPLODING, DIVERGED or FAILED; judged on the flow_log10_delta_* columns, for rezero nets on flow_log10_delta_out_*", t -> t.summary().verdict().name()),
            opt("clipped_share", D, "share of the steps run whose gradient the `clip` rule changed (0 for none); null for FAILED trials", t -> t.summary().clippedShare()),
            opt("error_message", S, "what went wrong, for FAILED and DIVERGED trials", t -> t.summary().errorMessage()),
            opt("error_stack", S, "truncated stack trace of a FAILED trial", t -> t.summary().errorStack()),
            req("steps_completed", I, "training steps actually run", t -> t.summary().stepsCompleted()),
            opt("stopped_at_step", I, "the sampled step at which `health.stop_early` stopped the trial (its flow stayed beyond a threshold for `window` sampled steps and its loss did not improve; the verdict says which threshold, steps 0 to this one ran and the outcome columns hold what was reached by then); null for trials that ran to the end, diverged or failed, and without stop_early", t -> t.summary().stoppedAtStep()),
            req("flow_underflow", B, "true when at a sampled step the first hidden block's ‖δ‖ or weight-gradient norm was exactly 0 while the last block's was positive: the flow is below the dtype's representable range (float: about −45 decades), that step's flows are null, and the verdict is VANISHING", t -> t.summary().flowUnderflow()),
            opt("flow_log10_delta_init", D, "log10(‖δ_first‖/‖δ_last‖) of pre-activation gradient norms over hidden blocks at step 0; negative = vanishing toward the input; null for rezero nets, whose branches are closed at step 0 (α = 0, so every branch δ is exactly 0)", t -> t.summary().flowDeltaInit()),
            opt("flow_log10_delta_train", D, "the same, averaged over the sampled steps after step 0", t -> t.summary().flowDeltaTrain()),
            opt("flow_log10_delta_out_init", D, "the same for ‖δ‖ at block outputs (the residual stream) at step 0; residual nets only", t -> t.summary().flowDeltaOutInit()),
            opt("flow_log10_delta_out_train", D, "the same, averaged over the sampled steps after step 0; residual nets only (a rezero net's verdict is judged on these two stream flows)", t -> t.summary().flowDeltaOutTrain()),
            opt("flow_log10_grad_init", D, "log10 ratio of first to last hidden block's weight-gradient norm ‖∂loss/∂W‖ at step 0", t -> t.summary().flowGradInit()),
            opt("flow_log10_grad_train", D, "the same, averaged over the sampled steps after step 0", t -> t.summary().flowGradTrain()),
            opt("delta_slope_init", D, "least-squares slope of log10‖δ_l‖ against block index l at step 0 (decades per block; positive = growing toward the output)", t -> t.summary().slopeDeltaInit()),
            opt("delta_slope_train", D, "the same, averaged over the sampled steps after step 0", t -> t.summary().slopeDeltaTrain()),
            opt("final_train_loss", D, "cross-entropy on the whole training set after the last step", t -> t.summary().finalTrainLoss()),
            opt("best_train_loss", D, "lowest mean minibatch cross-entropy over 10 consecutive steps", t -> t.summary().bestTrainLoss()),
            opt("test_loss", D, "cross-entropy on the test set after the last step", t -> t.summary().testLoss()),
            opt("test_accuracy", D, "accuracy on the test set after the last step", t -> t.summary().testAccuracy()),
            opt("steps_to_target", I, "first step whose trailing 10-step mean minibatch loss is at or below target_loss; null if never", t -> t.summary().stepsToTarget() < 0 ? null : t.summary().stepsToTarget()),
            req("target_loss", D, "the grid's training.target_loss", t -> t.config().targetLoss()),
            req("wall_time_ms", L, "the whole trial on its executor: build, pretraining, training, statistics, evaluation", t -> t.summary().wallTimeMs()),
            req("train_time_ms", L, "time in DL4J's fit, less the statistics recorded inside it", t -> t.summary().trainTimeMs()),
            req("stats_time_ms", L, "time recording statistics and evaluating at sampled steps", t -> t.summary().statsTimeMs()),
            req("averaging_time_ms", L, "data trials: time of DL4J Spark's rounds outside the workers' fit (broadcast, scheduling, aggregation, averaging), from SparkTrainingStats; 0 for task trials", t -> t.summary().averagingTimeMs()),
            opt("pretrain_time_ms", L, "time of the greedy layer-wise pretraining before step 0 (in wall_time_ms, not in train_time_ms); null without pretraining", t -> t.config().pretrain().isNone() ? null : t.summary().pretrainTimeMs()),
            opt("pretrain_loss", D, "pretraining's final reconstruction loss: mean over hidden blocks of the block autoencoder's mean squared error per entry on the whole training set after its last step; null without pretraining", t -> t.config().pretrain().isNone() ? null : t.summary().pretrainLoss()),
            req("gradflow_version", S, "gradflow version", t -> t.summary().provenance().gradflowVersion()),
            req("dl4j_version", S, "Deeplearning4j version", t -> t.summary().provenance().dl4jVersion()),
            req("spark_version", S, "Spark version of the executor", t -> t.summary().provenance().sparkVersion()),
            req("java_version", S, "Java version of the executor", t -> t.summary().provenance().javaVersion()),
            opt("blas_core", S, "the OpenBLAS kernels the executor's JVM used (`openblas_get_corename`: SkylakeX, Haswell, Zen, Prescott, …; chosen per machine from its CPU, README \"Performance and memory\"); a GEMM's last bits depend on them; null for data trials", t -> t.summary().provenance().blasCore()),
            req("host", S, "executor host name", t -> t.summary().provenance().host()),
            req("executor_id", S, "Spark executor id (`driver` in local mode); data trials: the executors that ran its workers, comma-separated", t -> t.summary().provenance().executorId()),
            req("started_at", DataTypes.TimestampType, "when the trial started (UTC)", t -> new Timestamp(t.summary().provenance().startedAtMillis())),
            req("config", S, "the canonical configuration the trial id hashes", t -> t.config().canonical()),
            opt("theory_chi", D, "mean-field prediction at init of the per-block factor of the squared norm ‖δ_l‖²/‖δ_{l+1}‖² (geometric mean over blocks 1..depth−1); null for batch-norm or residual nets (any residual form) and warm starts", t -> t.summary().theoryChi()),
            opt("theory_flow_log10_delta_init", D, "mean-field prediction of `flow_log10_delta_init`; null for batch-norm or residual nets and warm starts", t -> t.summary().theoryFlowDeltaInit())));

    /** One row per trial × sampled step × hidden block. */
    public static final Table<LayerStat> LAYER_STATS = new Table<>("layer_stats",
            "one row per trial × sampled step × hidden block", List.of(
            req("trial_id", S, "the trial", LayerStat::trialId),
            req("step", I, "sampled step (0 = gradients of the initial weights)", LayerStat::step),
            req("block", I, "hidden block, 1 = next to the input projection, depth = next to the output", LayerStat::block),
            opt("delta_norm", D, "‖δ‖₂ (norm, not squared) at the block's pre-activation, δ = ∂(mean minibatch loss)/∂(pre-activation); inside a scaled or rezero branch it carries the branch's factor (1/√depth, or α: exactly 0 at step 0)", LayerStat::deltaPre),
            opt("delta_out_norm", D, "‖δ‖₂ at the block's output (the residual stream); residual blocks only", LayerStat::deltaOut),
            opt("grad_norm", D, "‖∂loss/∂W‖₂ of the block's Dense weights, before the updater and before any clipping", LayerStat::gradNorm),
            opt("grad_mean_abs", D, "mean |g| over the weight gradient's entries", LayerStat::gradMeanAbs),
            opt("grad_max_abs", D, "max |g| over the weight gradient's entries", LayerStat::gradMaxAbs),
            req("grad_nonfinite", L, "number of NaN or infinite weight-gradient entries", LayerStat::gradNonFinite),
            opt("weight_norm", D, "‖W‖₂ (Frobenius) before the step's update", LayerStat::weightNorm),
            opt("update_ratio", D, "‖ΔW‖₂/‖W‖₂ of the step's update (after clipping)", LayerStat::updateRatio),
            opt("act_mean", D, "mean of the block's activation output over the minibatch", LayerStat::actMean),
            opt("act_std", D, "standard deviation of the block's activation output", LayerStat::actStd),
            opt("act_saturated_frac", D, "share of saturated activations: sigmoid < 0.01 or > 0.99, tanh/softsign |a| > 0.99; null for others", LayerStat::actSaturated),
            opt("act_dead_frac", D, "share of units ≤ 0 for the whole minibatch; ReLU family (relu, leakyrelu, elu, gelu, selu) only", LayerStat::actDead)));

    /** One row per trial × recorded step. */
    public static final Table<CurvePoint> CURVES = new Table<>("curves",
            "one row per trial × recorded step (every `curve_every`-th step, the sampled steps and the last)", List.of(
            req("trial_id", S, "the trial", CurvePoint::trialId),
            req("step", I, "training step", CurvePoint::step),
            opt("train_loss", D, "minibatch cross-entropy of the step, before its update", CurvePoint::trainLoss),
            opt("test_loss", D, "test-set cross-entropy at the step's weights; sampled steps only", CurvePoint::testLoss),
            opt("test_accuracy", D, "test-set accuracy at the step's weights; sampled steps only", CurvePoint::testAccuracy)));

    /** One row per remedy combination, aggregated over its seeds (written by the analysis after the trials). */
    public static final Table<ComparisonRow> COMPARISON = new Table<>("comparison",
            "one row per remedy combination (every axis but the seed), aggregated over its seeds", comparisonColumns());

    /** Paired effects of axis levels, conditional effects within strata, and two-way interactions. */
    public static final Table<EffectRow> EFFECTS = new Table<>("effects",
            "one row per effect: axis level vs the axis' baseline (main, or conditional within a stratum) or two-axis interaction, per key outcome", List.of(
            req("kind", S, "main (all pairs), conditional (pairs inside `stratum`) or interaction (difference in differences of `axis` and `by_axis`)", EffectRow::kind),
            req("outcome", S, "the trials column compared: flow_log10_delta_init/_train, flow_log10_grad_init/_train, final_train_loss, test_accuracy or steps_to_target", r -> r.outcome().column()),
            req("axis", S, "the axis switched", EffectRow::axis),
            req("level", S, "the level switched to", EffectRow::level),
            req("baseline", S, "the level switched from: the axis' first level in grid.yaml", EffectRow::baseline),
            req("stratum", S, "`all`, or the other settings held fixed for a conditional effect, e.g. `activation=sigmoid, depth=20`", EffectRow::stratum),
            opt("by_axis", S, "interactions: the second axis", EffectRow::byAxis),
            opt("by_level", S, "interactions: the second axis' level", EffectRow::byLevel),
            opt("by_baseline", S, "interactions: the second axis' baseline", EffectRow::byBaseline),
            req("n_pairs", I, "pairs (quadruples for interactions) of trials equal in every other setting and the seed, with the outcome present in all", EffectRow::nPairs),
            opt("mean_diff", D, "mean paired difference outcome(level) − outcome(baseline); interactions: mean of [effect at by_level] − [effect at by_baseline]", r -> r.diff().mean()),
            opt("sd_diff", D, "standard deviation of the paired differences (n − 1 denominator); null with one pair", r -> r.diff().sd()),
            opt("ci_low", D, "lower end of the 95% confidence interval of mean_diff (Student t, n_pairs − 1 degrees of freedom)", r -> r.diff().ciLow()),
            opt("ci_high", D, "upper end of that interval", r -> r.diff().ciHigh()),
            opt("mean_at_baseline", D, "mean outcome of the pairs' baseline trials; interactions: mean effect of `level` at by_baseline", EffectRow::meanAtBaseline),
            opt("mean_at_level", D, "mean outcome of the pairs' trials at `level`; interactions: mean effect of `level` at by_level", EffectRow::meanAtLevel)));

    private static List<Column<ComparisonRow>> comparisonColumns() {
        List<Column<ComparisonRow>> c = new ArrayList<>();
        c.add(req("combination_id", S, "the combination_id of the combination's trials", ComparisonRow::combinationId));
        c.add(req("combination", S, "the varied axes' values in grid order, e.g. `activation=sigmoid, batchnorm=true`", ComparisonRow::label));
        for (String[] s : new String[][]{{"activation", "S"}, {"init", "S"}, {"batchnorm", "B"}, {"residual", "B"},
                {"residual_form", "S"}, {"depth", "I"}, {"width", "I"}, {"steps", "I"}, {"batch_size", "I"},
                {"optimizer", "S"}, {"learning_rate", "D"}, {"dtype", "S"}, {"clip", "S"}, {"pretrain", "S"}}) {
            DataType t = switch (s[1]) {
                case "B" -> B;
                case "I" -> I;
                case "D" -> D;
                default -> S;
            };
            String name = s[0];
            // The analysis keys the residual axis by its form; the boolean column is derived from it, as in trials.
            Function<ComparisonRow, Object> get = switch (name) {
                case "residual" -> r -> !"false".equals(String.valueOf(r.settings().get("residual")));
                case "residual_form" -> r -> String.valueOf(r.settings().get("residual"));
                default -> r -> r.settings().get(name);
            };
            c.add(req(name, t, "as in trials", get));
        }
        c.add(req("n_seeds", I, "trials (seeds) of the combination", ComparisonRow::nSeeds));
        c.add(req("n_failed", I, "FAILED trials among them", ComparisonRow::nFailed));
        c.add(req("n_diverged", I, "DIVERGED trials among them", ComparisonRow::nDiverged));
        c.add(req("majority_verdict", S, "the most common verdict of the seeds; a tie goes to the worse (HEALTHY < VANISHING < EXPLODING < DIVERGED < FAILED)", ComparisonRow::majorityVerdict));
        c.add(req("rank", I, "1 = best: majority HEALTHY first, then VANISHING/EXPLODING, then DIVERGED/FAILED; within a group by mean test accuracy (high first), mean final train loss (low first), |mean flow_log10_delta_train| (small first)", ComparisonRow::rank));
        for (Outcome o : Outcome.values()) {
            String n = o.column();
            c.add(req(n + "_n", I, "seeds with a value of " + n, r -> r.estimate(o).n()));
            c.add(opt(n + "_mean", D, "mean of " + n + " over those seeds" + (o == Outcome.STEPS_TO_TARGET ? " (only seeds that reached the target)" : ""), r -> r.estimate(o).mean()));
            c.add(opt(n + "_sd", D, "its standard deviation (n − 1 denominator); null below 2 seeds", r -> r.estimate(o).sd()));
            c.add(opt(n + "_ci_low", D, "lower end of its 95% confidence interval (Student t, n − 1 degrees of freedom); null below 2 seeds", r -> r.estimate(o).ciLow()));
            c.add(opt(n + "_ci_high", D, "upper end of that interval", r -> r.estimate(o).ciHigh()));
        }
        return c;
    }

    public static List<Table<?>> all() {
        return List.of(TRIALS, LAYER_STATS, CURVES, COMPARISON, EFFECTS);
    }

    public static String combinationId(TrialConfig c) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(c.combinationKey().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The README's column tables, generated from the definitions above. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        for (Table<?> t : all()) {
            sb.append("#### `").append(t.name()).append("`: ").append(t.doc()).append("\n\n");
            sb.append("| column | type | null | meaning |\n|---|---|---|---|\n");
            for (Column<?> c : t.columns()) {
                sb.append("| `").append(c.name()).append("` | ").append(c.type().simpleString().toLowerCase(Locale.ROOT))
                        .append(" | ").append(c.nullable() ? "yes" : "no").append(" | ").append(c.doc()).append(" |\n");
            }
            sb.append("\n");
        }
        return sb.toString();
    }
}
