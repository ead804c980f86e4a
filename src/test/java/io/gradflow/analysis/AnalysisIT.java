package io.gradflow.analysis;

import io.gradflow.cli.Main;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.spark.SparkSessions;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
import io.gradflow.store.Column;
import io.gradflow.store.Schemas;
import io.gradflow.store.Table;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The analysis of a small real sweep (16 trials, one made to fail) on one local[2] session: the datasets it
 * writes, read back by Spark and DuckDB; the report rendered by headless Chromium; the report and sql commands.
 */
class AnalysisIT {

    static final String GRID = """
            name: small
            seeds: [1, 2]
            axes:
              activation: [sigmoid, relu]
              batchnorm: [false, true]
              depth: [2, 4]
            training:
              init: xavier
              width: 8
              steps: 12
              batch_size: 16
              learning_rate: 0.05
            dataset: {kind: blobs, samples: 120, classes: 3, features: 4}
            """;

    private static SparkSession spark;
    private static Path root;
    private static Path dir;
    private static Analysis.Result result;
    private static String failedTrial;

    @BeforeAll
    static void sweepAndAnalyse() throws Exception {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "AnalysisIT");
        root = Files.createTempDirectory("gradflow-analysis-it");
        GridSpec g = GridParser.parse(GRID, "small.yaml", "small");
        failedTrial = Grid.expand(g).get(5).trialId();
        spark.conf().set(SweepJob.INJECT_FAIL_CONF, failedTrial);
        SweepOutcome o = SweepJob.run(spark, g, root.toString(), false, null);
        spark.conf().unset(SweepJob.INJECT_FAIL_CONF);
        assertThat(o.rows()).isEqualTo(16);
        dir = root.resolve("small");
        result = Analysis.run(spark, dir.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        spark.stop();
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theSparkAggregatesOfTheReportEqualThePureProfilesOnARealSweep() throws Exception {
        org.apache.hadoop.fs.Path d = new org.apache.hadoop.fs.Path(dir.toString());
        org.apache.hadoop.fs.FileSystem fs = d.getFileSystem(spark.sparkContext().hadoopConfiguration());
        org.apache.hadoop.fs.Path trialsPath = new org.apache.hadoop.fs.Path(d, "trials");
        List<TrialRow> rows = Analysis.readTrials(spark, trialsPath.toString());
        Map<String, Profiles.Profile> pure = Profiles.meanLog10Delta(rows, Analysis.readDeltas(spark, fs, d, java.util.Set.of()));
        var frame = SparkAnalysis.frame(Analysis.trialsFrame(spark, trialsPath.toString()));
        Map<String, Profiles.Profile> sql = Analysis.deltaProfiles(spark, fs, d, frame, false);
        // the same with the trials broadcast first, as for a few combinations drawn out of many
        Map<String, Profiles.Profile> selected = Analysis.deltaProfiles(spark, fs, d, frame, true);
        assertThat(selected.keySet()).isEqualTo(sql.keySet());
        sql.forEach((c, p) -> {
            assertThat(selected.get(c).init()).as(c).containsExactly(p.init(), org.assertj.core.api.Assertions.within(1e-12));
            assertThat(selected.get(c).end()).as(c).containsExactly(p.end(), org.assertj.core.api.Assertions.within(1e-12));
        });
        assertThat(sql.keySet()).isEqualTo(pure.keySet()).isNotEmpty();
        pure.forEach((c, p) -> {
            assertThat(sql.get(c).init()).as(c).containsExactly(p.init(), org.assertj.core.api.Assertions.within(1e-12));
            assertThat(sql.get(c).end()).as(c).containsExactly(p.end(), org.assertj.core.api.Assertions.within(1e-12));
        });
        Map<String, java.util.TreeMap<Integer, Double>> pureLoss = Profiles.meanLoss(rows, Analysis.readLosses(spark, fs, d));
        Map<String, java.util.TreeMap<Integer, Double>> sqlLoss = Analysis.lossCurves(spark, fs, d, frame, false);
        Map<String, java.util.TreeMap<Integer, Double>> selectedLoss = Analysis.lossCurves(spark, fs, d, frame, true);
        assertThat(selectedLoss.keySet()).isEqualTo(sqlLoss.keySet());
        sqlLoss.forEach((c, m) -> m.forEach((step, v) -> assertThat(selectedLoss.get(c).get(step)).as(c + " step " + step)
                .isCloseTo(v, org.assertj.core.api.Assertions.within(1e-12 * Math.max(1, Math.abs(v))))));
        assertThat(sqlLoss.keySet()).isEqualTo(pureLoss.keySet()).isNotEmpty();
        pureLoss.forEach((c, m) -> {
            assertThat(sqlLoss.get(c).keySet()).as(c).isEqualTo(m.keySet());
            m.forEach((step, v) -> assertThat(sqlLoss.get(c).get(step)).as(c + " step " + step).isCloseTo(v,
                    org.assertj.core.api.Assertions.within(1e-12 * Math.max(1, Math.abs(v)))));
        });
    }

    @Test
    void theSparkComparisonEffectsAndTrialSummaryEqualThePureFunctionsBitForBitWhateverThePartitioning() {
        // The sweep's own analysis (16 trials) ran on the driver; this one is forced onto the Spark path, and the
        // second also has Spark rank the combinations, write the comparison and number the combinations for the
        // effects' pairs, as for a grid of more than 50,000 combinations.
        Analysis.Result viaSpark;
        Analysis.Result rankedBySpark;
        List<Row> comparisonBySpark;
        List<Row> effectsBySpark;
        spark.conf().set(Analysis.DRIVER_MAX_TRIALS_CONF, "0");
        try {
            spark.conf().set(Analysis.DRIVER_MAX_COMBINATIONS_CONF, "0");
            try {
                rankedBySpark = Analysis.run(spark, dir.toString());
                comparisonBySpark = spark.read().parquet(dir.resolve("comparison").toString()).collectAsList();
                effectsBySpark = spark.read().parquet(dir.resolve("effects").toString()).collectAsList();
            } finally {
                spark.conf().unset(Analysis.DRIVER_MAX_COMBINATIONS_CONF);
            }
            viaSpark = Analysis.run(spark, dir.toString());
        } finally {
            spark.conf().unset(Analysis.DRIVER_MAX_TRIALS_CONF);
        }
        List<TrialRow> rows = Analysis.readTrials(spark, dir.resolve("trials").toString());
        List<AxisLevels> axes = result.axes();
        assertThat(viaSpark.axes()).isEqualTo(axes);
        List<ComparisonRow> pureComparison = Comparison.compute(rows, axes);
        List<EffectRow> pureEffects = Effects.compute(rows, axes);
        // Records compare doubles bit for bit (Double.compare), NaN included: no tolerance anywhere.
        assertThat(viaSpark.comparison()).hasSize(8).isEqualTo(pureComparison).isEqualTo(result.comparison())
                .isEqualTo(rankedBySpark.comparison());
        assertThat(rankedBySpark.combinations()).isEqualTo(viaSpark.combinations()).isEqualTo(8);
        assertThat(comparisonBySpark).isEqualTo(Schemas.COMPARISON.toRows(pureComparison));
        assertThat(rankedBySpark.effects()).isEqualTo(viaSpark.effects());
        // 3 axes of 2 levels: each axis' level in all pairs, at 2 × 2 one-axis and 2 × 2 two-axis strata of the others
        assertThat(SparkAnalysis.strataBound(axes)).isEqualTo(27);
        assertThat(pureEffects.stream().filter(e -> e.outcome() == Outcome.FLOW_DELTA_INIT && e.byAxis() == null).count())
                .isBetween(20L, 27L);
        // The Spark path keeps on the driver only the conditional rows the report shows; it writes every row.
        java.util.Set<String> shown = Report.shownStrata(axes, ComparisonSample.maxDepth(pureComparison));
        assertThat(shown).containsExactly("activation=sigmoid, depth=4", "activation=relu, depth=4");
        List<EffectRow> pureListed = pureEffects.stream()
                .filter(e -> !e.kind().equals(EffectRow.CONDITIONAL) || shown.contains(e.stratum())).toList();
        assertThat(viaSpark.effects()).isEqualTo(pureListed).hasSizeLessThan(pureEffects.size());
        assertThat(viaSpark.effects()).extracting(EffectRow::kind).contains(EffectRow.CONDITIONAL);
        assertThat(result.effects()).isEqualTo(pureEffects);
        assertThat(pureEffects).extracting(EffectRow::kind).contains(EffectRow.MAIN, EffectRow.CONDITIONAL, EffectRow.INTERACTION);
        // every row written, in the pure function's order (one file at this size), nulls where the driver writes them
        assertThat(spark.read().parquet(dir.resolve("effects").toString()).collectAsList())
                .isEqualTo(Schemas.EFFECTS.toRows(pureEffects)).isEqualTo(effectsBySpark);

        TrialSummary pure = TrialSummary.of(rows);
        TrialSummary sql = viaSpark.trials();
        assertThat(sql.count()).isEqualTo(16).isEqualTo(pure.count());
        assertThat(sql.byVerdict()).isEqualTo(pure.byVerdict());
        assertThat(sql.byVerdict().get("FAILED")).isEqualTo(1);
        assertThat(sql.seeds()).isEqualTo(pure.seeds()).isEqualTo(2);
        assertThat(sql.wallTimeMs()).isEqualTo(pure.wallTimeMs()).isPositive();
        assertThat(sql.stopped()).isEqualTo(pure.stopped());
        assertThat(sql.settingValues()).isEqualTo(pure.settingValues());
        assertThat(sql.settingValues().get("depth")).containsExactly("2", "4");
        assertThat(sql.failures()).extracting(TrialRow::trialId).containsExactly(failedTrial)
                .isEqualTo(pure.failures().stream().map(TrialRow::trialId).toList());
        assertThat(sql.failureCount()).isEqualTo(1);

        // The same trials in another partitioning and row order: exact sums do not depend on the order of addition.
        var f = SparkAnalysis.frame(Analysis.trialsFrame(spark, dir.resolve("trials").toString()))
                .repartition(5, org.apache.spark.sql.functions.col("seed")).sortWithinPartitions(org.apache.spark.sql.functions.col("trial_id").desc());
        // ranked on the driver (a grid this small), and by Spark (as a grid of more than 50,000 combinations is)
        assertThat(SparkAnalysis.comparison(f, axes).all()).isEqualTo(pureComparison);
        SparkAnalysis.SparkComparison ranked = SparkAnalysis.comparison(f, axes, 0);
        try {
            assertThat(ranked.held()).isNull();
            assertThat(ranked.combinations()).isEqualTo(8);
            assertThat(ranked.all()).isEqualTo(pureComparison);
            // the rows the report draws, chosen by Spark, are the pure function's choice: with the report's caps (every
            // row of a grid this small) and with caps that cut every section
            for (ComparisonSample.Caps caps : List.of(ComparisonSample.REPORT, new ComparisonSample.Caps(1, 2, 2, 1),
                    new ComparisonSample.Caps(2, 1, 1, 3))) {
                ComparisonSample chosen = ComparisonSample.of(pureComparison, axes, caps);
                assertThat(ranked.sample(caps)).as("caps %s", caps).isEqualTo(chosen);
                if (caps != ComparisonSample.REPORT) {
                    assertThat(chosen.rows()).as("caps %s", caps).hasSizeLessThan(8);
                }
            }
            // the dataset's rows, written by Spark from the ranked frame: the driver's rows of the same comparison
            assertThat(ranked.rows().collectAsList()).isEqualTo(Schemas.COMPARISON.toRows(pureComparison));
        } finally {
            ranked.unpersist();
        }
        // both routes to the strata: the pairs exploded, and the pairs summed per (axis, combination) first; and the
        // combinations numbered on the driver or, as for a grid of 10^6 combinations, by Spark
        for (boolean viaCells : new boolean[]{false, true}) {
            for (boolean combosInSpark : new boolean[]{false, true}) {
                SparkAnalysis.SparkEffects again = SparkAnalysis.effects(spark, f, axes, shown, viaCells,
                        SparkAnalysis.INTERACTIONS_ON_DRIVER, SparkAnalysis.LISTED_INTERACTIONS, combosInSpark);
                try {
                    assertThat(again.listed()).as("via cells: %s, numbered by Spark: %s", viaCells, combosInSpark).isEqualTo(pureListed);
                    assertThat(again.all().collectAsList()).as("via cells: %s, numbered by Spark: %s", viaCells, combosInSpark)
                            .isEqualTo(Schemas.EFFECTS.toRows(pureEffects));
                } finally {
                    again.unpersist();
                }
            }
        }
        // interactions written by Spark, the driver keeping the largest |mean| per flow outcome (here: one each)
        assertThat(SparkAnalysis.interactionBound(axes)).isEqualTo(3);
        java.util.Set<EffectRow> largest = new java.util.HashSet<>();
        for (Outcome o : Outcome.values()) {
            if (o.key() && o.flow()) {
                pureEffects.stream().filter(e -> e.kind().equals(EffectRow.INTERACTION) && e.outcome() == o)
                        .sorted(Comparator.comparingDouble((EffectRow e) -> -Math.abs(e.diff().mean()))).limit(1).forEach(largest::add);
            }
        }
        assertThat(largest).hasSizeGreaterThan(1);
        List<EffectRow> withLargest = pureEffects.stream().filter(e -> e.kind().equals(EffectRow.INTERACTION)
                ? largest.contains(e) : pureListed.contains(e)).toList();
        SparkAnalysis.SparkEffects spread = SparkAnalysis.effects(spark, f, axes, shown, false, 0, 1, true);
        try {
            assertThat(spread.listed()).isEqualTo(withLargest);
            assertThat(spread.all().collectAsList()).isEqualTo(Schemas.EFFECTS.toRows(pureEffects));
        } finally {
            spread.unpersist();
        }
    }

    @Test
    void theDriverAnalysisOfASmallSweepEqualsTheSparkPathOutputForOutput() throws Exception {
        // The sweep's own analysis (16 trials) read its datasets on the driver; this one reads them with Spark.
        Analysis.Result viaSpark;
        String sparkHtml;
        List<Row> sparkComparison;
        List<Row> sparkEffects;
        spark.conf().set(io.gradflow.store.Parts.DRIVER_MAX_ROWS_CONF, "0");
        try {
            viaSpark = Analysis.run(spark, dir.toString());
            sparkHtml = Files.readString(dir.resolve(Analysis.REPORT_FILE));
            sparkComparison = spark.read().parquet(dir.resolve("comparison").toString()).collectAsList();
            sparkEffects = spark.read().parquet(dir.resolve("effects").toString()).collectAsList();
        } finally {
            spark.conf().unset(io.gradflow.store.Parts.DRIVER_MAX_ROWS_CONF);
        }
        Analysis.Result local = Analysis.run(spark, dir.toString());
        assertThat(local.phases().keySet()).contains("trials", "profiles", "report");
        assertThat(local.sweep()).isEqualTo(viaSpark.sweep()).isEqualTo("small");
        assertThat(local.axes()).isEqualTo(viaSpark.axes());
        assertThat(local.trials()).usingRecursiveComparison()
                .withEqualsForType((a, b) -> Double.compare(a, b) == 0, Double.class).isEqualTo(viaSpark.trials());
        assertThat(local.comparison()).hasSize(8).isEqualTo(viaSpark.comparison());
        assertThat(local.effects()).isNotEmpty().isEqualTo(viaSpark.effects());
        // the report: same profiles, loss curves, datasets and sweep name, to the byte
        assertThat(Files.readString(dir.resolve(Analysis.REPORT_FILE))).isEqualTo(sparkHtml);
        // the derived datasets written on the driver read back in Spark as the Spark-written ones, row for row
        var comparison = spark.read().parquet(dir.resolve("comparison").toString());
        assertThat(comparison.schema()).isEqualTo(Schemas.COMPARISON.schema().asNullable());
        assertThat(comparison.collectAsList()).isEqualTo(sparkComparison);
        assertThat(spark.read().parquet(dir.resolve("effects").toString()).collectAsList()).isEqualTo(sparkEffects);

        // the trial rows: those of Spark's normalised frame, field for field
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path d = new org.apache.hadoop.fs.Path(dir.toString());
        List<TrialRow> driver = DriverSweep.read(conf, d.getFileSystem(conf), d).trials();
        List<TrialRow> sql = Analysis.readTrials(spark, dir.resolve("trials").toString());
        assertThat(driver).hasSize(16).usingRecursiveFieldByFieldElementComparator(
                org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration.builder()
                        .withEqualsForType((a, b) -> Double.compare(a, b) == 0, Double.class).build()).isEqualTo(sql);
        assertThat(driver).anyMatch(t -> t.verdict().equals("FAILED") && t.errorMessage() != null);
    }

    @Test
    void theDatasetsWrittenOnTheDriverAreTheOnesSparkWritesFromTheSameJournal() throws Exception {
        Path work = Files.createTempDirectory(root, "finish");
        Path parts = work.resolve("_parts");
        Files.createDirectories(parts);
        try (Stream<Path> s = Files.list(dir.resolve("_parts"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList()) {
                Files.copy(p, parts.resolve(p.getFileName()));
                // a retried task's duplicate of the same trials, under a name that sorts later
                Files.copy(p, parts.resolve(p.getFileName().toString().replace("part-", "part-zz-")));
            }
        }
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(parts.toString());
        io.gradflow.store.Parts.Unique viaSpark = io.gradflow.store.Parts.unique(spark, hp);
        io.gradflow.store.Parts.writeDatasets(viaSpark, name -> work.resolve("spark-" + name).toString());
        io.gradflow.store.Parts.LocalUnique local = io.gradflow.store.Parts.uniqueLocal(conf, hp);
        assertThat(local.partRows()).isEqualTo(32);
        assertThat(local.counts()).isEqualTo(viaSpark.counts());
        assertThat(local.counts().trials()).isEqualTo(16);
        // the footers count each empty list (the failed trial's) as one value: an upper bound, exact per trial
        long empty = local.rows().stream().mapToLong(r -> (((List<?>) r.getAs("layer_stats")).isEmpty() ? 1 : 0)
                + (((List<?>) r.getAs("curves")).isEmpty() ? 1 : 0)).sum();
        assertThat(empty).isEqualTo(2);
        assertThat(io.gradflow.store.Parts.footerRows(conf, hp))
                .isEqualTo(2 * (local.counts().trials() + local.counts().layerStats() + local.counts().curves() + empty));
        io.gradflow.store.Parts.writeDatasetsLocal(local, name -> work.resolve("driver-" + name).toString(), conf,
                io.gradflow.store.LocalParquet.Settings.of(spark).orElseThrow());
        for (Table<?> t : List.of(Schemas.TRIALS, Schemas.LAYER_STATS, Schemas.CURVES)) {
            Path a = work.resolve("spark-" + t.name());
            Path b = work.resolve("driver-" + t.name());
            var sa = spark.read().parquet(a.toString());
            var sb = spark.read().parquet(b.toString());
            assertThat(sb.schema()).as(t.name()).isEqualTo(sa.schema());
            // one file each, so the order read is the order written: sorted by trial, step and block
            assertThat(sb.collectAsList()).as(t.name()).isNotEmpty().isEqualTo(sa.collectAsList());
            assertThat(physicalSchema(b)).as(t.name()).isEqualTo(physicalSchema(a));
            assertThat(b.resolve("_SUCCESS")).exists();
        }
        // compaction on the driver: one file of one row per trial, the duplicate gone, nothing hidden left
        io.gradflow.store.Parts.compactLocal(conf, hp, local, spark.version());
        try (Stream<Path> s = Files.list(parts)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc"))).hasSize(1)
                    .allMatch(n -> n.startsWith("part-") && n.endsWith(".parquet"));
        }
        assertThat(io.gradflow.store.Parts.uniqueLocal(conf, hp).partRows()).isEqualTo(16);
    }

    /** The Parquet schema of a dataset's first data file: physical types, logical annotations and repetition. */
    private static String physicalSchema(Path dataset) throws Exception {
        Path file;
        try (Stream<Path> s = Files.list(dataset)) {
            file = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
        try (var r = org.apache.parquet.hadoop.ParquetFileReader.open(org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toString()), new org.apache.hadoop.conf.Configuration()))) {
            return r.getFooter().getFileMetaData().getSchema().toString();
        }
    }

    @Test
    void comparisonAndEffectsAreWrittenWithTheirSchemasAndAgreeWithSparkSql() {
        assertThat(result.axes()).extracting(AxisLevels::name).containsExactly("activation", "batchnorm", "depth");
        assertThat(result.axes().get(2).levels()).containsExactly("2", "4");
        var comparison = spark.read().parquet(dir.resolve("comparison").toString());
        assertThat(comparison.schema()).isEqualTo(Schemas.COMPARISON.schema().asNullable());
        assertThat(comparison.count()).isEqualTo(8);
        assertThat(comparison.selectExpr("sum(n_seeds)", "sum(n_failed)").first().toString()).isEqualTo("[16,1]");
        assertThat(comparison.selectExpr("min(rank)", "max(rank)", "count(distinct rank)").first().toString()).isEqualTo("[1,8,8]");

        // the pure aggregation agrees with Spark SQL's own mean and sample deviation over the trials
        List<Row> sql = spark.read().parquet(dir.resolve("trials").toString()).groupBy("combination_id")
                .agg(org.apache.spark.sql.functions.avg("flow_log10_delta_init"),
                        org.apache.spark.sql.functions.stddev_samp("flow_log10_delta_train"))
                .collectAsList();
        Map<String, ComparisonRow> byId = new LinkedHashMap<>();
        result.comparison().forEach(r -> byId.put(r.combinationId(), r));
        for (Row r : sql) {
            ComparisonRow c = byId.get(r.getString(0));
            assertThat(c.estimate(Outcome.FLOW_DELTA_INIT).mean()).isCloseTo(r.getDouble(1), within(1e-9));
            if (!r.isNullAt(2)) {
                assertThat(c.estimate(Outcome.FLOW_DELTA_TRAIN).sd()).isCloseTo(r.getDouble(2), within(1e-9));
            }
        }

        var effects = spark.read().parquet(dir.resolve("effects").toString());
        assertThat(effects.schema()).isEqualTo(Schemas.EFFECTS.schema().asNullable());
        // batch norm on vs off: 2 activations × 2 depths × 2 seeds = 8 pairs, less the one with the failed trial
        Row bn = effects.where("kind = 'main' and axis = 'batchnorm' and level = 'true' and outcome = 'flow_log10_delta_init'")
                .selectExpr("n_pairs", "baseline", "stratum").first();
        assertThat(bn.toString()).isEqualTo("[7,false,all]");
        assertThat(effects.where("kind = 'conditional' and stratum = 'activation=sigmoid, depth=4' and axis = 'batchnorm'").count())
                .isGreaterThan(0);
        assertThat(effects.where("kind = 'interaction' and axis = 'activation' and by_axis = 'depth'").count()).isGreaterThan(0);
        assertThat(dir.resolve(".analysis.incomplete")).doesNotExist();
    }

    @Test
    void duckDbReadsEveryDatasetWithTheExpectedColumnTypes() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            for (Table<?> t : Schemas.all()) {
                String src = "read_parquet('" + dir.resolve(t.name()) + "/*.parquet')";
                Map<String, String> types = new LinkedHashMap<>();
                try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + src)) {
                    while (rs.next()) {
                        types.put(rs.getString("column_name"), rs.getString("column_type"));
                    }
                }
                assertThat(types.keySet()).as(t.name()).containsExactlyElementsOf(t.columnNames());
                for (Column<?> col : t.columns()) {
                    assertThat(types.get(col.name())).as(t.name() + "." + col.name()).startsWith(duckType(col.type()));
                }
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + src)) {
                    rs.next();
                    assertThat(rs.getLong(1)).as(t.name() + " rows").isPositive();
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT trial_id) FROM read_parquet('"
                    + dir.resolve("trials") + "/*.parquet')")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(16);
                assertThat(rs.getLong(2)).isEqualTo(16);
            }
        }
    }

    private static String duckType(DataType t) {
        if (t.equals(DataTypes.StringType)) {
            return "VARCHAR";
        }
        if (t.equals(DataTypes.IntegerType)) {
            return "INTEGER";
        }
        if (t.equals(DataTypes.LongType)) {
            return "BIGINT";
        }
        if (t.equals(DataTypes.DoubleType)) {
            return "DOUBLE";
        }
        if (t.equals(DataTypes.BooleanType)) {
            return "BOOLEAN";
        }
        if (t.equals(DataTypes.TimestampType)) {
            return "TIMESTAMP";
        }
        throw new AssertionError("no DuckDB type for " + t);
    }

    @Test
    void theReportRendersInHeadlessChromiumWithEveryChartAndNoConsoleMessage() throws Exception {
        Path report = dir.resolve("report.html");
        String html = Files.readString(report, StandardCharsets.UTF_8);
        assertThat(html).doesNotContain("<script src").doesNotContain("<link").doesNotContain("http://").doesNotContain("https://");
        for (String section : List.of("overview", "heatmaps", "profiles", "losses", "effects", "ranking", "failures")) {
            assertThat(html).contains("<section id=\"" + section + "\">");
        }
        assertThat(html).contains(failedTrial).contains("failed on purpose");
        // 2 depth facets × (init, end) heatmaps + 2 activations × 2 profiles + 2 loss panels + 3 main-effect
        // charts + 2 conditional-effect charts
        int expected = 4 + 4 + 2 + 3 + 2;

        Path profile = Files.createTempDirectory("gradflow-chromium");
        Path screenshot = root.resolve("report.png");
        try {
            Process p = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                    "--dump-dom", report.toUri().toString())
                    .redirectOutput(root.resolve("dom.html").toFile()).redirectError(root.resolve("chromium.log").toFile()).start();
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
            assertThat(p.exitValue()).isZero();
            String dom = Files.readString(root.resolve("dom.html"));
            String log = Files.readString(root.resolve("chromium.log"));
            assertThat(attr(dom, "data-charts")).isEqualTo(expected);
            assertThat(attr(dom, "data-charts-rendered")).as("charts decoded by the browser").isEqualTo(expected);
            assertThat(log.lines().filter(l -> l.contains(":CONSOLE")).toList()).as("console messages").isEmpty();

            Process shot = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile, "--hide-scrollbars", "--window-size=1400,1800",
                    "--screenshot=" + screenshot, report.toUri().toString())
                    .redirectErrorStream(true).redirectOutput(root.resolve("shot.log").toFile()).start();
            assertThat(shot.waitFor(90, TimeUnit.SECONDS)).isTrue();
            var img = javax.imageio.ImageIO.read(screenshot.toFile());
            assertThat(img.getWidth()).isEqualTo(1400);
            // kept for a look after the build: target/analysis-it/
            Path keep = Files.createDirectories(Path.of("target", "analysis-it"));
            Files.copy(screenshot, keep.resolve("report.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(report, keep.resolve("report.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static int attr(String dom, String name) {
        Matcher m = Pattern.compile(name + "=\"(\\d+)\"").matcher(dom);
        assertThat(m.find()).as(name + " in the rendered DOM").isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void reportAndSqlCommandsWorkOnTheSweepFolderAndRefuseBadInputInOneLine() throws Exception {
        Cli report = run("report", dir.toString());
        assertThat(report.code).as(report.err).isEqualTo(Main.OK);
        assertThat(report.out).contains("8 combinations from 16 trials").contains("Top combinations")
                .contains("Largest effects").contains("batchnorm: false -> true");
        assertThat(dir.resolve("report.html")).isRegularFile();

        Cli sql = run("sql", dir.toString(), "SELECT axis, level, n_pairs FROM effects WHERE kind = 'main' "
                + "AND outcome = 'flow_log10_delta_init' ORDER BY axis, level");
        assertThat(sql.code).as(sql.err).isEqualTo(Main.OK);
        assertThat(sql.out.lines().toList()).containsExactly(
                "axis        level  n_pairs",
                "----------  -----  -------",
                "activation  relu         7",
                "batchnorm   true         7",
                "depth           4        7",
                "(3 rows)");

        Path csv = root.resolve("verdicts.csv");
        Cli toCsv = run("sql", dir.toString(), "SELECT verdict, count(*) AS n FROM trials GROUP BY verdict ORDER BY verdict",
                "--csv", csv.toString());
        assertThat(toCsv.code).as(toCsv.err).isEqualTo(Main.OK);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.get(0)).isEqualTo("verdict,n");
        assertThat(lines).contains("FAILED,1");
        Path pq = root.resolve("comparison.parquet");
        assertThat(run("sql", dir.toString(), "SELECT * FROM comparison", "--parquet", pq.toString()).code).isEqualTo(Main.OK);
        assertThat(spark.read().parquet(pq.toString()).count()).isEqualTo(8);

        Cli bad = run("sql", dir.toString(), "SELECT nope FROM trials");
        assertThat(bad.code).isEqualTo(Main.BAD_INPUT);
        assertThat(bad.err.strip()).startsWith("gradflow: the query is not valid: ").contains("nope").doesNotContain("\n");

        Path empty = Files.createDirectories(root.resolve("not-a-sweep"));
        for (String cmd : List.of("report", "sql")) {
            Cli c = cmd.equals("report") ? run(cmd, empty.toString()) : run(cmd, empty.toString(), "SELECT 1");
            assertThat(c.code).as(cmd).isEqualTo(Main.BAD_INPUT);
            assertThat(c.err.strip()).as(cmd).startsWith("gradflow: '" + empty + "' is not a sweep folder: ")
                    .contains(empty.resolve("trials").toString()).doesNotContain("\n");
        }
        assertThat(spark.sparkContext().isStopped()).as("commands leave a session they did not start running").isFalse();
    }

    record Cli(int code, String out, String err) {
    }

    private static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    @SuppressWarnings("unused")
    private static List<String> names(List<Row> rows) {
        List<String> n = new ArrayList<>();
        rows.forEach(r -> n.add(r.getString(0)));
        return n;
    }
}
