package io.gradflow.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.grid.Axis;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.store.DatasetWriter;
import io.gradflow.store.LocalParquet;
import io.gradflow.store.Schemas;
import io.gradflow.store.SweepDir;
import io.gradflow.store.Table;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The analysis of a finished sweep folder, the one entry point for the sweep and for {@code gradflow report}:
 * read {@code trials}, {@code layer_stats} and {@code curves}, compute {@code comparison} and {@code effects},
 * write both as Parquet and write {@code report.html}, each replacing an earlier one. Everything proportional to
 * the trials is computed by Spark SQL where the rows are ({@link SparkAnalysis}: comparison, effects, the trial
 * summary; here: the report's per-block and per-step series); the driver collects only what the report draws (the
 * comparison rows of {@link ComparisonSample}, the effects it shows, the series of the drawn combinations), so the
 * analysis' memory grows neither with the seeds nor with the combinations; Spark writes {@code comparison} and
 * {@code effects} itself. The pure functions of this package ({@link Comparison}, {@link ComparisonSample},
 * {@link Effects}, {@link Profiles}) define the same numbers over collected rows and are what the Spark path is tested
 * against.
 */
public final class Analysis {

    public static final String REPORT_FILE = "report.html";

    static final String[] SETTINGS = Arrays.stream(Axis.values()).map(Axis::key).toArray(String[]::new);

    private Analysis() {
    }

    /**
     * What {@link #run} computed and where it wrote it.
     *
     * @param sweepDir   the sweep folder
     * @param sweep      the sweep name
     * @param axes       the varied axes in grid order (levels in grid order, the first is the baseline)
     * @param trials     what was counted over the trials
     * @param combinations every combination of the sweep
     * @param comparison the comparison rows the report draws, by rank: the best {@value Report#MAX_RANKED} (all of them
     *                   for a grid of fewer), the heatmaps' columns and the profile panels' lines; every row is in the
     *                   {@code comparison} dataset, which a grid of 10^6 combinations has the driver never hold
     * @param effects    every main effect, the conditional effects the report shows and the interactions (all of
     *                   them up to 50,000 interaction cells, else the 15 largest per flow outcome); every row where the
     *                   analysis ran on the driver (a few thousand trials), while a larger sweep's other rows, millions
     *                   for a grid of many combinations, are only in the {@code effects} dataset that Spark wrote
     * @param reportPath the report written
     * @param phases     wall time of each phase in milliseconds, in the order they ran (for the log and the scale
     *                   benchmark)
     */
    public record Result(String sweepDir, String sweep, List<AxisLevels> axes, TrialSummary trials, long combinations,
                         List<ComparisonRow> comparison, List<EffectRow> effects, String reportPath, Map<String, Long> phases) {

        /** One line: each phase and its seconds. */
        public String phaseLine() {
            List<String> p = new ArrayList<>();
            phases.forEach((k, v) -> p.add(String.format(Locale.ROOT, "%s %.1f s", k, v / 1000.0)));
            return String.join(", ", p);
        }
    }

    /** Times the phases of one analysis. */
    private static final class Phases {
        private final Map<String, Long> millis = new LinkedHashMap<>();
        private long t = System.nanoTime();

        void done(String phase) {
            long now = System.nanoTime();
            millis.merge(phase, (now - t) / 1_000_000, Long::sum);
            t = now;
        }
    }

    /**
     * Analyses the sweep in {@code sweepDir} (any Hadoop path) and writes {@code comparison}, {@code effects} and
     * {@code report.html} into it, replacing earlier ones.
     *
     * @throws IllegalArgumentException when the folder has no readable {@code trials} dataset (the message names
     *                                  the path)
     */
    public static Result run(SparkSession spark, String sweepDir) {
        Path dir = new Path(sweepDir);
        FileSystem fs = fileSystem(spark, dir);
        Path trialsPath = new Path(dir, Schemas.TRIALS.name());
        // A missing or truncated dataset is one line of bad input, found before anything is written.
        SweepDir.requireDatasets(sweepDir, spark.sparkContext().hadoopConfiguration());
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        java.util.Optional<LocalParquet.Settings> onDriver = DriverSweep.settings(spark, hadoop, fs, dir);
        if (onDriver.isPresent()) {
            return runOnDriver(fs, hadoop, dir, onDriver.get());
        }
        Dataset<Row> f = SparkAnalysis.frame(trialsFrame(spark, trialsPath.toString()))
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        Phases phases = new Phases();
        SparkAnalysis.SparkEffects sparkEffects = null;
        SparkAnalysis.SparkComparison ranked = null;
        try {
            long n = f.count();
            if (n == 0) {
                throw new IllegalArgumentException("the trials dataset " + trialsPath + " has no rows; there is nothing to analyse");
            }
            String gridText = readText(fs, new Path(dir, SweepDir.GRID_FILE));
            TrialSummary summary;
            List<AxisLevels> axes;
            List<ComparisonRow> comparison = null;
            ComparisonSample sample;
            List<EffectRow> effects;
            if (n <= driverMaxTrials(spark)) {
                // A few thousand rows: the pure functions on the driver, without a dozen Spark jobs. Same bits as the
                // Spark path (exact sums; AnalysisIT checks both).
                List<TrialRow> rows = collect(f);
                summary = TrialSummary.of(rows);
                axes = axes(gridText, values(rows));
                phases.done("trials");
                comparison = Comparison.compute(rows, axes);
                sample = ComparisonSample.of(comparison, axes, ComparisonSample.REPORT);
                phases.done("comparison");
                effects = Effects.compute(rows, axes);
                phases.done("effects");
            } else {
                summary = SparkAnalysis.summary(f);
                axes = axes(gridText, SparkAnalysis.distinctValues(f));
                phases.done("trials");
                // ranked by Spark; only the rows the report draws reach the driver
                long combosOnDriver = driverMaxCombinations(spark);
                ranked = SparkAnalysis.comparison(f, axes, combosOnDriver);
                sample = ranked.sample(ComparisonSample.REPORT);
                phases.done("comparison");
                sparkEffects = SparkAnalysis.effects(spark, f, axes, Report.shownStrata(axes, sample.maxDepth()),
                        sample.combinations() > combosOnDriver);
                effects = sparkEffects.listed();
                phases.done("effects");
            }
            Dataset<Row> everyEffect = sparkEffects == null ? null : sparkEffects.all();
            List<ComparisonRow> everyRow = comparison;
            long everyCombination = sample.combinations();
            SparkAnalysis.SparkComparison everyRanked = ranked;

            // Aggregated by Spark where the rows are: only one value per combination × block or step reaches the driver.
            Source spark_ = new Source() {
                @Override
                public <T> void write(Table<T> table, List<T> values, Path path) {
                    DatasetWriter.write(spark, table, values, path.toString());
                }

                @Override
                public void writeComparison(Path path) {
                    if (everyRanked == null) {
                        write(Schemas.COMPARISON, everyRow, path);
                    } else {
                        everyRanked.write(spark, path.toString());
                    }
                }

                @Override
                public void writeEffects(List<EffectRow> values, Path path) {
                    if (everyEffect == null) {
                        write(Schemas.EFFECTS, values, path);
                    } else {
                        everyEffect.write().mode(org.apache.spark.sql.SaveMode.ErrorIfExists).parquet(path.toString());
                    }
                }

                @Override
                public Map<String, Profiles.Profile> profiles(java.util.Set<String> combinations) {
                    boolean few = combinations.size() < everyCombination;
                    return deltaProfiles(spark, fs, dir, few ? drawn(spark, f, combinations) : f, few);
                }

                @Override
                public Map<String, java.util.TreeMap<Integer, Double>> losses(java.util.Set<String> combinations) {
                    boolean few = combinations.size() < everyCombination;
                    return lossCurves(spark, fs, dir, few ? drawn(spark, f, combinations) : f, few);
                }

                @Override
                public String sweepName() {
                    return Analysis.sweepName(spark, trialsPath.toString(), dir);
                }

                @Override
                public List<String> datasets() {
                    return spark.read().parquet(trialsPath.toString()).select("dataset").distinct()
                            .orderBy("dataset").collectAsList().stream().map(r -> r.getString(0)).toList();
                }
            };
            return writeStaged(fs, dir, summary, axes, sample, effects, phases, spark_);
        } finally {
            if (sparkEffects != null) {
                sparkEffects.unpersist();
            }
            if (ranked != null) {
                ranked.unpersist();
            }
            f.unpersist();
        }
    }

    /**
     * {@link #run} for a small sweep ({@link DriverSweep#settings}): its datasets read and the derived ones written on
     * the driver, with the same pure functions as the driver branch of the Spark path, without a Spark job.
     */
    private static Result runOnDriver(FileSystem fs, org.apache.hadoop.conf.Configuration hadoop, Path dir,
                                      LocalParquet.Settings settings) {
        Phases phases = new Phases();
        DriverSweep sweep = DriverSweep.read(hadoop, fs, dir);
        List<TrialRow> rows = sweep.trials();
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("the trials dataset " + new Path(dir, Schemas.TRIALS.name())
                    + " has no rows; there is nothing to analyse");
        }
        TrialSummary summary = TrialSummary.of(rows);
        List<AxisLevels> axes = axes(readText(fs, new Path(dir, SweepDir.GRID_FILE)), values(rows));
        phases.done("trials");
        List<ComparisonRow> comparison = Comparison.compute(rows, axes);
        ComparisonSample sample = ComparisonSample.of(comparison, axes, ComparisonSample.REPORT);
        phases.done("comparison");
        List<EffectRow> effects = Effects.compute(rows, axes);
        phases.done("effects");
        Source local = new Source() {
            @Override
            public <T> void write(Table<T> table, List<T> values, Path path) {
                DatasetWriter.writeLocal(hadoop, table, values, path, settings);
            }

            @Override
            public void writeComparison(Path path) {
                write(Schemas.COMPARISON, comparison, path);
            }

            @Override
            public void writeEffects(List<EffectRow> values, Path path) {
                write(Schemas.EFFECTS, values, path);
            }

            @Override
            public Map<String, Profiles.Profile> profiles(java.util.Set<String> combinations) {
                return only(sweep.deltaProfiles(), combinations);
            }

            @Override
            public Map<String, java.util.TreeMap<Integer, Double>> losses(java.util.Set<String> combinations) {
                return only(sweep.lossCurves(), combinations);
            }

            @Override
            public String sweepName() {
                return sweep.sweepName();
            }

            @Override
            public List<String> datasets() {
                return sweep.datasets();
            }
        };
        return writeStaged(fs, dir, summary, axes, sample, effects, phases, local);
    }

    private static <V> Map<String, V> only(Map<String, V> byCombination, java.util.Set<String> combinations) {
        Map<String, V> out = new LinkedHashMap<>(byCombination);
        out.keySet().retainAll(combinations);
        return out;
    }

    /**
     * The trials of the combinations the report draws: what the per-block and per-step series are computed from, so
     * that a grid of 10^6 combinations aggregates a few thousand of them (the ids are broadcast, tens of KB).
     */
    private static Dataset<Row> drawn(SparkSession spark, Dataset<Row> trials, java.util.Set<String> combinations) {
        List<Row> ids = combinations.stream().map(c -> org.apache.spark.sql.RowFactory.create(c)).toList();
        Dataset<Row> wanted = spark.createDataFrame(ids, new org.apache.spark.sql.types.StructType()
                .add("combination_id", org.apache.spark.sql.types.DataTypes.StringType, false));
        return trials.join(org.apache.spark.sql.functions.broadcast(wanted), "combination_id");
    }

    /** Where the derived outputs' inputs come from: Spark queries, or rows read on the driver. */
    private interface Source {
        <T> void write(Table<T> table, List<T> values, Path path);

        /** Writes the comparison dataset, every row of it. */
        void writeComparison(Path path);

        /** Writes the effects dataset: {@code values}, or every row where the driver holds only some of them. */
        void writeEffects(List<EffectRow> values, Path path);

        /** The profiles of these combinations. */
        Map<String, Profiles.Profile> profiles(java.util.Set<String> combinations);

        /** The loss curves of these combinations. */
        Map<String, java.util.TreeMap<Integer, Double>> losses(java.util.Set<String> combinations);

        String sweepName();

        List<String> datasets();
    }

    private static Result writeStaged(FileSystem fs, Path dir, TrialSummary summary, List<AxisLevels> axes,
                                      ComparisonSample comparison, List<EffectRow> effects, Phases phases, Source src) {
        Path staging = new Path(dir, ".analysis.incomplete");
        delete(fs, staging);
        try {
            return write(fs, dir, staging, summary, axes, comparison, effects, phases, src);
        } finally {
            // Failed or interrupted half way, the analysis leaves no half-built output behind; a rerun starts clean.
            delete(fs, staging);
        }
    }

    private static Result write(FileSystem fs, Path dir, Path staging, TrialSummary trials, List<AxisLevels> axes,
                                ComparisonSample comparison, List<EffectRow> effects, Phases phases, Source src) {
        src.writeComparison(new Path(staging, Schemas.COMPARISON.name()));
        src.writeEffects(effects, new Path(staging, Schemas.EFFECTS.name()));
        phases.done("write");

        java.util.Set<String> drawn = new java.util.HashSet<>();
        comparison.rows().forEach(r -> drawn.add(r.combinationId()));
        Map<String, Profiles.Profile> profiles = src.profiles(drawn);
        phases.done("profiles");
        Map<String, java.util.TreeMap<Integer, Double>> losses = src.losses(drawn);
        phases.done("curves");
        String sweep = src.sweepName();
        List<String> datasets = src.datasets();
        String html = Report.render(new Report.Input(sweep, manifest(fs, dir), trials, axes, comparison, effects, profiles,
                losses, datasets));
        writeText(fs, new Path(staging, REPORT_FILE), html);

        for (String name : List.of(Schemas.COMPARISON.name(), Schemas.EFFECTS.name(), REPORT_FILE)) {
            Path target = new Path(dir, name);
            delete(fs, target);
            rename(fs, new Path(staging, name), target);
        }
        delete(fs, staging);
        phases.done("report");
        return new Result(dir.toString(), sweep, axes, trials, comparison.combinations(), comparison.rows(), effects,
                new Path(dir, REPORT_FILE).toString(),
                java.util.Collections.unmodifiableMap(phases.millis));
    }

    /** The terminal summary: the top combinations and the largest main effects, as aligned tables. */
    public static String terminalSummary(Result r) {
        return Summary.text(r, 10, 10);
    }

    // ---------------------------------------------------------------- reading

    /**
     * The trials dataset at {@code path} with every column the analysis reads, those of older datasets added with
     * the values they had then.
     *
     * @throws IllegalArgumentException naming the path and the first missing column when it is not a trials dataset
     */
    static Dataset<Row> trialsFrame(SparkSession spark, String path) {
        Dataset<Row> df = spark.read().parquet(path);
        List<String> need = new ArrayList<>(List.of("trial_id", "combination_id", "seed", "verdict", "error_message",
                "error_stack", "wall_time_ms"));
        List<String> present = Arrays.asList(df.columns());
        // The axis `residual` is the column residual_form (the boolean `residual` only says whether there is a skip);
        // datasets written before the scaled forms and the clip axis have neither column, and their values were
        // the boolean and no clipping.
        if (!present.contains("residual_form") && present.contains("residual")) {
            df = df.withColumn("residual_form", org.apache.spark.sql.functions.col("residual").cast("string"));
        }
        if (!present.contains("clip")) {
            df = df.withColumn("clip", org.apache.spark.sql.functions.lit("none"));
        }
        if (!present.contains("pretrain")) {
            df = df.withColumn("pretrain", org.apache.spark.sql.functions.lit("none"));
        }
        if (!present.contains("stopped_at_step")) {
            df = df.withColumn("stopped_at_step", org.apache.spark.sql.functions.lit(null).cast("int"));
        }
        if (!present.contains("clipped_share")) {
            df = df.withColumn("clipped_share", org.apache.spark.sql.functions.lit(null).cast("double"));
        }
        for (String s : SETTINGS) {
            need.add(settingColumn(s));
        }
        Arrays.stream(Outcome.values()).forEach(o -> need.add(o.column()));
        need.add("stopped_at_step");
        List<String> have = Arrays.asList(df.columns());
        for (String c : need) {
            if (!have.contains(c)) {
                throw new IllegalArgumentException(path + " is not a gradflow trials dataset: it has no column '" + c + "'");
            }
        }
        return df;
    }

    /** Every trial row, collected and sorted by trial id: the input of the pure functions, for tests and small sweeps. */
    static List<TrialRow> readTrials(SparkSession spark, String path) {
        return collect(SparkAnalysis.frame(trialsFrame(spark, path)));
    }

    private static List<TrialRow> collect(Dataset<Row> normalised) {
        List<TrialRow> out = new ArrayList<>();
        for (Row r : normalised.collectAsList()) {
            out.add(SparkAnalysis.trialRow(r));
        }
        out.sort(Comparator.comparing(TrialRow::trialId));
        return out;
    }

    /**
     * The Spark setting that says up to how many trials a sweep is analysed on the driver by the pure functions
     * (above it, by Spark SQL): {@value #DEFAULT_DRIVER_MAX_TRIALS} by default, 0 for always Spark.
     */
    public static final String DRIVER_MAX_TRIALS_CONF = "spark.gradflow.analysis.driverMaxTrials";
    static final long DEFAULT_DRIVER_MAX_TRIALS = 5_000;

    static long driverMaxTrials(SparkSession spark) {
        return io.gradflow.store.Settings.count(spark, DRIVER_MAX_TRIALS_CONF, DEFAULT_DRIVER_MAX_TRIALS, "trials");
    }

    /**
     * The Spark setting that says, on the Spark path, up to how many combinations the driver ranks them and numbers
     * them for the effects' pairs (above it, Spark does both and the driver holds only the rows the report draws):
     * {@value SparkAnalysis#COMBOS_ON_DRIVER} by default, 0 for always Spark.
     */
    public static final String DRIVER_MAX_COMBINATIONS_CONF = "spark.gradflow.analysis.driverMaxCombinations";

    static long driverMaxCombinations(SparkSession spark) {
        return io.gradflow.store.Settings.count(spark, DRIVER_MAX_COMBINATIONS_CONF, SparkAnalysis.COMBOS_ON_DRIVER,
                "combinations");
    }

    /** Each setting's distinct values over the rows. */
    static Map<String, List<Object>> values(List<TrialRow> rows) {
        Map<String, List<Object>> out = new LinkedHashMap<>();
        for (String s : SETTINGS) {
            out.put(s, rows.stream().map(t -> t.settings().get(s)).filter(java.util.Objects::nonNull).distinct().toList());
        }
        return out;
    }

    /** The trials column holding an axis' values: its own name, but residual_form for {@code residual}. */
    static String settingColumn(String axis) {
        return axis.equals(Axis.RESIDUAL.key()) ? "residual_form" : axis;
    }

    /**
     * The varied axes and their order from the sweep's grid file; levels are rendered as in {@code trials}. Without
     * a readable grid file, every setting with more than one value in {@code trials} is an axis (levels sorted:
     * false before true, numbers ascending, text alphabetically).
     *
     * @param values each setting's distinct values over the trials
     */
    static List<AxisLevels> axes(String gridText, Map<String, List<Object>> values) {
        if (gridText != null) {
            try {
                GridSpec g = GridParser.parse(gridText, SweepDir.GRID_FILE, "sweep");
                List<AxisLevels> out = new ArrayList<>();
                g.axes().forEach((a, v) -> {
                    List<String> levels = v.stream().map(Axis::render).distinct().toList();
                    if (levels.size() > 1) {
                        out.add(new AxisLevels(a.key(), levels));
                    }
                });
                return out;
            } catch (RuntimeException e) {
                // e.g. a CSV dataset path that no longer exists: fall back to the values in trials
            }
        }
        return inferAxes(values);
    }

    static List<AxisLevels> inferAxes(Map<String, List<Object>> values) {
        List<AxisLevels> out = new ArrayList<>();
        for (String s : SETTINGS) {
            TreeSet<Object> sorted = new TreeSet<>(Analysis::compareValues);
            sorted.addAll(values.getOrDefault(s, List.of()));
            if (sorted.size() > 1) {
                out.add(new AxisLevels(s, sorted.stream().map(String::valueOf).toList()));
            }
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object a, Object b) {
        if (a instanceof Comparable ca && a.getClass() == b.getClass()) {
            return ca.compareTo(b);
        }
        return String.valueOf(a).compareTo(String.valueOf(b));
    }

    /**
     * {@link Profiles#meanLog10Delta} computed by Spark SQL: the mean over each combination's seeds of log10‖δ_l‖
     * per block at step 0 and at each trial's last sampled step, finite positive norms only; for rezero nets the
     * residual stream's {@code delta_out_norm}.
     *
     * @param trials the trials whose combinations are wanted, in the analysis' normalised frame ({@link SparkAnalysis#frame}):
     *               the trials of the combinations the report draws
     * @param few    whether those are few of the sweep's combinations: then their trials are broadcast and select the
     *               layer_stats rows first (a grid of 10^6 combinations draws a few thousand); else they are joined
     *               to the first and last steps' rows (broadcasting 10^5 trials cost more than the join)
     */
    static Map<String, Profiles.Profile> deltaProfiles(SparkSession spark, FileSystem fs, Path dir, Dataset<Row> trials,
                                                       boolean few) {
        Path p = new Path(dir, Schemas.LAYER_STATS.name());
        Map<String, Profiles.Profile> out = new LinkedHashMap<>();
        if (!exists(fs, p)) {
            return out;
        }
        // A rezero net's branch δ is exactly 0 at init and then scales with each block's gate: its profiles show the
        // residual stream's δ, the quantity its verdict is judged on.
        Dataset<Row> combos = trials.select(org.apache.spark.sql.functions.col("trial_id"),
                org.apache.spark.sql.functions.col("combination_id"), org.apache.spark.sql.functions.coalesce(
                        SparkAnalysis.setting(Axis.RESIDUAL.key()).equalTo("rezero"), org.apache.spark.sql.functions.lit(false))
                        .as("on_stream"));
        Dataset<Row> l = spark.read().parquet(p.toString());
        if (few) {
            l = l.join(org.apache.spark.sql.functions.broadcast(combos), "trial_id");
        }
        Dataset<Row> last = l.groupBy("trial_id").agg(org.apache.spark.sql.functions.max("step").as("last_step"));
        Dataset<Row> ends = l.join(last, "trial_id").where("step = 0 or step = last_step");
        if (!few) {
            ends = ends.join(combos, "trial_id");
        }
        // NaN and infinities are stored as null, so "norm > 0" keeps exactly the finite positive norms.
        List<Row> rows = ends
                .selectExpr("combination_id", "step = last_step and step > 0 as end", "block",
                        "CASE WHEN on_stream THEN delta_out_norm ELSE delta_norm END AS norm")
                .where("norm > 0")
                .selectExpr("combination_id", "end", "block", "log10(norm) as v")
                .groupBy("combination_id", "end", "block").agg(org.apache.spark.sql.functions.avg("v"))
                .orderBy("combination_id", "end", "block").collectAsList();
        Map<String, Map<Boolean, Map<Integer, Double>>> acc = new LinkedHashMap<>();
        for (Row r : rows) {
            acc.computeIfAbsent(r.getString(0), k -> new LinkedHashMap<>()).computeIfAbsent(r.getBoolean(1), k -> new LinkedHashMap<>())
                    .put(r.getInt(2), r.getDouble(3));
        }
        acc.forEach((c, phases) -> out.put(c, new Profiles.Profile(blockArray(phases.get(false)), blockArray(phases.get(true)))));
        return out;
    }

    private static double[] blockArray(Map<Integer, Double> byBlock) {
        if (byBlock == null || byBlock.isEmpty()) {
            return new double[0];
        }
        double[] m = new double[byBlock.keySet().stream().mapToInt(Integer::intValue).max().orElse(0)];
        Arrays.fill(m, Double.NaN);
        byBlock.forEach((b, v) -> m[b - 1] = v);
        return m;
    }

    /** {@link Profiles#meanLoss} computed by Spark SQL: each combination's mean minibatch loss per recorded step. */
    static Map<String, java.util.TreeMap<Integer, Double>> lossCurves(SparkSession spark, FileSystem fs, Path dir,
                                                                     Dataset<Row> trials, boolean few) {
        Path p = new Path(dir, Schemas.CURVES.name());
        Map<String, java.util.TreeMap<Integer, Double>> out = new LinkedHashMap<>();
        if (!exists(fs, p)) {
            return out;
        }
        Dataset<Row> combos = trials.select("trial_id", "combination_id");
        List<Row> rows = spark.read().parquet(p.toString()).where("train_loss is not null")
                .join(few ? org.apache.spark.sql.functions.broadcast(combos) : combos, "trial_id")
                .groupBy("combination_id", "step").agg(org.apache.spark.sql.functions.avg("train_loss"))
                .orderBy("combination_id", "step").collectAsList();
        for (Row r : rows) {
            out.computeIfAbsent(r.getString(0), k -> new java.util.TreeMap<>()).put(r.getInt(1), r.getDouble(2));
        }
        return out;
    }

    /** Every first and last step ‖δ‖ row, collected: the input of the pure {@link Profiles}, kept for tests. */
    static List<Profiles.BlockDelta> readDeltas(SparkSession spark, FileSystem fs, Path dir, java.util.Set<String> onStream) {
        Path p = new Path(dir, Schemas.LAYER_STATS.name());
        if (!exists(fs, p)) {
            return List.of();
        }
        Dataset<Row> l = spark.read().parquet(p.toString());
        Dataset<Row> last = l.groupBy("trial_id").agg(org.apache.spark.sql.functions.max("step").as("last_step"));
        List<Profiles.BlockDelta> out = new ArrayList<>();
        for (Row r : l.join(last, "trial_id").where("step = 0 or step = last_step")
                .selectExpr("trial_id", "step = last_step and step > 0", "block", "delta_norm", "delta_out_norm").collectAsList()) {
            int k = onStream.contains(r.getString(0)) ? 4 : 3;
            if (!r.isNullAt(k)) {
                out.add(new Profiles.BlockDelta(r.getString(0), r.getBoolean(1), r.getInt(2), r.getDouble(k)));
            }
        }
        return out;
    }

    /** Every curve row's loss, collected: the input of the pure {@link Profiles}, kept for tests. */
    static List<Profiles.LossPoint> readLosses(SparkSession spark, FileSystem fs, Path dir) {
        Path p = new Path(dir, Schemas.CURVES.name());
        if (!exists(fs, p)) {
            return List.of();
        }
        List<Profiles.LossPoint> out = new ArrayList<>();
        for (Row r : spark.read().parquet(p.toString()).where("train_loss is not null")
                .selectExpr("trial_id", "step", "train_loss").collectAsList()) {
            out.add(new Profiles.LossPoint(r.getString(0), r.getInt(1), r.getDouble(2)));
        }
        return out;
    }

    private static String sweepName(SparkSession spark, String trialsPath, Path dir) {
        List<Row> r = spark.read().parquet(trialsPath).select("sweep").limit(1).collectAsList();
        return r.isEmpty() ? dir.getName() : r.get(0).getString(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> manifest(FileSystem fs, Path dir) {
        String text = readText(fs, new Path(dir, SweepDir.MANIFEST_FILE));
        if (text == null) {
            return Map.of();
        }
        try {
            return new ObjectMapper().readValue(text, Map.class);
        } catch (IOException e) {
            return Map.of();
        }
    }

    // ---------------------------------------------------------------- file system

    private static FileSystem fileSystem(SparkSession spark, Path dir) {
        try {
            return dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
        } catch (IOException e) {
            throw new IllegalArgumentException("sweep folder '" + dir + "' cannot be used: " + e.getMessage());
        }
    }

    private static boolean exists(FileSystem fs, Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("could not check " + p, e);
        }
    }

    private static String readText(FileSystem fs, Path p) {
        try {
            if (!fs.exists(p)) {
                return null;
            }
            try (FSDataInputStream in = fs.open(p)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + p, e);
        }
    }

    private static void writeText(FileSystem fs, Path p, String text) {
        try (FSDataOutputStream o = fs.create(p, true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + p, e);
        }
    }

    private static void delete(FileSystem fs, Path p) {
        try {
            if (fs.exists(p)) {
                fs.delete(p, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + p, e);
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) {
        try {
            if (!fs.rename(from, to)) {
                throw new IOException("rename returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not move " + from + " to " + to, e);
        }
    }

    static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-";
    }
}
