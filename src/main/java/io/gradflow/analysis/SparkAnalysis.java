package io.gradflow.analysis;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Aggregator;
import scala.Tuple3;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * {@link Comparison#compute}, {@link Effects#compute} and {@link TrialSummary#of} computed by Spark SQL over the
 * {@code trials} dataset, so that only the rows the report draws reach the driver, however many trials and
 * combinations there are. Comparison is one aggregation by combination, ranked by a sort ({@link #comparison}), of
 * which the driver collects {@link ComparisonSample}'s rows; effects are two joins (the pairs of every axis at once,
 * then pairs of pairs for the interactions) whose exact sums Spark aggregates per (axis, level, stratum), the driver
 * collecting the rows the report shows ({@link #effects}). Every mean and deviation comes from an {@link ExactSum}, here
 * as a Spark aggregate, so the results equal the pure functions' bit for bit (AnalysisIT checks it on a real sweep,
 * in two partitionings) and do not depend on partitioning or merge order.
 *
 * <p>The input is the analysis' normalised frame ({@link #frame}): {@code s0..} the settings in
 * {@link Analysis#SETTINGS} order, {@code o0..} every {@link Outcome} as a double with non-finite values null.
 */
final class SparkAnalysis {

    /** The registered name of {@link ExactMoments}. */
    static final String MOMENTS = "gradflow_exact_moments";

    private SparkAnalysis() {
    }

    /**
     * A Spark aggregate into an {@link ExactSum}, merged exactly and kept Kryo-encoded between stages; the subclasses
     * say what goes in and what comes out.
     */
    abstract static class ExactAggregate<IN, OUT> extends Aggregator<IN, ExactSum, OUT> {
        private static final long serialVersionUID = 1L;

        @Override
        public ExactSum zero() {
            return new ExactSum();
        }

        @Override
        public ExactSum merge(ExactSum a, ExactSum b) {
            return a.merge(b);
        }

        @Override
        public Encoder<ExactSum> bufferEncoder() {
            return Encoders.kryo(ExactSum.class);
        }
    }

    /** Of a double column; nulls are left out, as non-finite values are by {@link ExactSum#add}. */
    abstract static class OfValues<OUT> extends ExactAggregate<Double, OUT> {
        private static final long serialVersionUID = 1L;

        @Override
        public ExactSum reduce(ExactSum b, Double v) {
            if (v != null) {
                b.add(v);
            }
            return b;
        }
    }

    /** (count, mean, variance) of an exact sum, as {@link ExactMoments} and {@link ExactMerge} give them out. */
    private static Tuple3<Long, Double, Double> moments(ExactSum r) {
        return new Tuple3<>(r.count(), r.mean(), r.variance());
    }

    private static Encoder<Tuple3<Long, Double, Double>> momentsEncoder() {
        return Encoders.tuple(Encoders.LONG(), Encoders.DOUBLE(), Encoders.DOUBLE());
    }

    /** The exact sums of a column, out as (count, mean, variance). */
    static final class ExactMoments extends OfValues<Tuple3<Long, Double, Double>> {
        private static final long serialVersionUID = 1L;

        @Override
        public Tuple3<Long, Double, Double> finish(ExactSum r) {
            return moments(r);
        }

        @Override
        public Encoder<Tuple3<Long, Double, Double>> outputEncoder() {
            return momentsEncoder();
        }
    }

    /**
     * The exact sums of a column themselves (Kryo-encoded), so that cells summed by Spark can be merged again,
     * exactly, by {@link ExactMerge}.
     */
    static final class ExactBuffer extends OfValues<ExactSum> {
        private static final long serialVersionUID = 1L;

        @Override
        public ExactSum finish(ExactSum r) {
            return r;
        }

        @Override
        public Encoder<ExactSum> outputEncoder() {
            return Encoders.kryo(ExactSum.class);
        }
    }

    /** {@link ExactBuffer}s merged, out as (count, mean, variance): what {@link ExactMoments} gives for their values. */
    static final class ExactMerge extends ExactAggregate<ExactSum, Tuple3<Long, Double, Double>> {
        private static final long serialVersionUID = 1L;

        @Override
        public ExactSum reduce(ExactSum b, ExactSum v) {
            return b.merge(v);
        }

        @Override
        public Tuple3<Long, Double, Double> finish(ExactSum r) {
            return moments(r);
        }

        @Override
        public Encoder<Tuple3<Long, Double, Double>> outputEncoder() {
            return momentsEncoder();
        }
    }

    /** The registered names of {@link ExactBuffer} and {@link ExactMerge}. */
    static final String BUFFER = "gradflow_exact_buffer";
    static final String MERGE = "gradflow_exact_merge";

    /** Registers the aggregates in the session once (registering again would only log a warning per analysis). */
    static void register(SparkSession spark) {
        if (!spark.catalog().functionExists(MOMENTS)) {
            spark.udf().register(MOMENTS, org.apache.spark.sql.functions.udaf(new ExactMoments(), Encoders.DOUBLE()));
        }
        if (!spark.catalog().functionExists(BUFFER)) {
            spark.udf().register(BUFFER, org.apache.spark.sql.functions.udaf(new ExactBuffer(), Encoders.DOUBLE()));
        }
        if (!spark.catalog().functionExists(MERGE)) {
            spark.udf().register(MERGE, org.apache.spark.sql.functions.udaf(new ExactMerge(),
                    Encoders.kryo(ExactSum.class)));
        }
    }

    private static Column moments(String column) {
        return expr(MOMENTS + "(" + column + ")");
    }

    /** The estimate of an {@link ExactMoments} result. */
    private static Estimate estimate(Row m) {
        return Estimate.of(m.getLong(0), m.getDouble(1), Math.sqrt(m.getDouble(2)));
    }

    private static String s(int i) {
        return "s" + i;
    }

    private static String o(Outcome x) {
        return "o" + x.ordinal();
    }

    /**
     * The normalised frame of a trials DataFrame that has every column {@link Analysis#readTrials} needs:
     * identity, verdict, errors, wall time, stop step, settings as s0.., outcomes as o0.. (double, finite or null).
     */
    static Dataset<Row> frame(Dataset<Row> trials) {
        List<Column> cols = new ArrayList<>(List.of(col("trial_id"), col("combination_id"), col("seed"), col("verdict"),
                col("error_message"), col("error_stack"), col("wall_time_ms"), col("stopped_at_step")));
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            cols.add(col(Analysis.settingColumn(Analysis.SETTINGS[i])).as(s(i)));
        }
        for (Outcome x : Outcome.values()) {
            Column v = col(x.column()).cast("double");
            // v − v is 0 exactly for finite v, NaN for NaN and ±∞, null for null: only finite values survive.
            cols.add(when(v.minus(v).equalTo(0), v).as(o(x)));
        }
        return trials.select(cols.toArray(Column[]::new));
    }

    /** A normalised row as the pure functions' {@link TrialRow}. */
    static TrialRow trialRow(Row r) {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            settings.put(Analysis.SETTINGS[i], r.get(r.fieldIndex(s(i))));
        }
        double[] out = new double[Outcome.values().length];
        for (Outcome x : Outcome.values()) {
            int k = r.fieldIndex(o(x));
            out[x.ordinal()] = r.isNullAt(k) ? Double.NaN : r.getDouble(k);
        }
        int stop = r.fieldIndex("stopped_at_step");
        return new TrialRow(r.getString(0), r.getString(1), settings, r.getLong(2), r.getString(3), r.getString(4),
                r.getString(5), out, r.getLong(6), r.isNullAt(stop) ? -1 : r.getInt(stop));
    }

    // ---------------------------------------------------------------- trial summary and axes

    static TrialSummary summary(Dataset<Row> f) {
        List<Column> aggs = new ArrayList<>(List.of(count(lit(1)), countDistinct(col("seed")), sum("wall_time_ms"),
                count(col("stopped_at_step")), sum(when(col("verdict").isin("FAILED", "DIVERGED"), 1).otherwise(0))));
        for (String setting : Report.TRAINING_SETTINGS) {
            aggs.add(collect_set(col(s(index(setting)))));
        }
        Row a = f.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
        Map<String, Long> byVerdict = new LinkedHashMap<>();
        for (Row r : f.groupBy("verdict").count().collectAsList()) {
            byVerdict.put(r.getString(0), r.getLong(1));
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (int i = 0; i < Report.TRAINING_SETTINGS.size(); i++) {
            List<Object> v = new ArrayList<>(a.getList(5 + i));
            v.sort(Analysis::compareValues);
            values.put(Report.TRAINING_SETTINGS.get(i), v.stream().map(String::valueOf).toList());
        }
        List<TrialRow> bad = f.where(col("verdict").isin("FAILED", "DIVERGED")).orderBy("verdict", "trial_id")
                .limit(TrialSummary.MAX_LISTED).collectAsList().stream().map(SparkAnalysis::trialRow).toList();
        return new TrialSummary(a.getLong(0), byVerdict, a.getLong(1), a.isNullAt(2) ? 0 : a.getLong(2), a.getLong(3),
                values, bad, a.getLong(4));
    }

    /** Each setting's distinct values, for {@link Analysis#inferAxes} and the level indices. */
    static Map<String, List<Object>> distinctValues(Dataset<Row> f) {
        Column[] sets = new Column[Analysis.SETTINGS.length];
        for (int i = 0; i < sets.length; i++) {
            sets[i] = collect_set(col(s(i)));
        }
        Row r = f.agg(sets[0], java.util.Arrays.copyOfRange(sets, 1, sets.length)).first();
        Map<String, List<Object>> out = new LinkedHashMap<>();
        for (int i = 0; i < sets.length; i++) {
            out.put(Analysis.SETTINGS[i], new ArrayList<>(r.getList(i)));
        }
        return out;
    }

    /** The normalised frame's column of a setting (by its grid name). */
    static Column setting(String name) {
        return col(s(index(name)));
    }

    private static int index(String setting) {
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            if (Analysis.SETTINGS[i].equals(setting)) {
                return i;
            }
        }
        throw new IllegalArgumentException("'" + setting + "' is not a setting of trials");
    }

    // ---------------------------------------------------------------- comparison

    /**
     * {@link Comparison#compute} by Spark: one row per combination, ranked by Spark where the rows are, so that a grid
     * of 10^6 combinations is never held by the driver. The ranking is {@link Comparison#ranking} as sort keys: the
     * health group, then NaN-last means (Spark sorts NaN above every number, so a NaN flag comes first; no mean here
     * can be −0.0, which Spark would tie with 0.0), then each axis' level index, then the combination id. The
     * majority verdict is the largest (count, severity, name), the pure function's tie rule.
     */
    static SparkComparison comparison(Dataset<Row> f, List<AxisLevels> axes) {
        return comparison(f, axes, COMBOS_ON_DRIVER);
    }

    /**
     * {@link #comparison(Dataset, List)}, the rows ranked on the driver by {@link Comparison#rank} when there are at
     * most {@code onDriver} combinations (a sort and the sample's queries cost a few seconds of Spark jobs that a grid
     * of a few thousand combinations does not need), else by Spark.
     */
    static SparkComparison comparison(Dataset<Row> f, List<AxisLevels> axes, long onDriver) {
        SparkSession spark = f.sparkSession();
        register(spark);
        List<Column> aggs = new ArrayList<>(List.of(count(lit(1)).as("n"),
                sum(when(col("verdict").equalTo("FAILED"), 1).otherwise(0)).as("failed"),
                sum(when(col("verdict").equalTo("DIVERGED"), 1).otherwise(0)).as("diverged")));
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            aggs.add(first(col(s(i))).as(s(i)));
        }
        for (Outcome x : Outcome.values()) {
            aggs.add(moments(o(x)).as(m(x)));
        }
        Column severity = lit(Comparison.VERDICT_ORDER.size());
        for (int i = Comparison.VERDICT_ORDER.size() - 1; i >= 0; i--) {
            severity = when(col("verdict").equalTo(Comparison.VERDICT_ORDER.get(i)), i).otherwise(severity);
        }
        Dataset<Row> majority = f.groupBy("combination_id", "verdict").count()
                .select(col("combination_id"), org.apache.spark.sql.functions.struct(col("count"), severity.as("sev"),
                        col("verdict")).as("v"))
                .groupBy("combination_id").agg(org.apache.spark.sql.functions.max("v").as("v"))
                .select(col("combination_id"), col("v.verdict").as("majority"));
        // Persisted: a grid of more than onDriver combinations reads it twice (the driver's look, then the sort).
        Dataset<Row> aggregated = f.groupBy("combination_id").agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
                .join(majority, "combination_id").persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            if (onDriver > 0) {
                // at most onDriver + 1 rows come back: a grid of more is ranked by Spark below
                List<Row> few = aggregated.limit(Math.toIntExact(Math.min(Integer.MAX_VALUE - 1, onDriver + 1))).collectAsList();
                if (few.size() <= onDriver) {
                    List<ComparisonRow> rows = few.stream().map(r -> comparisonRow(r, axes, 0)).toList();
                    return new SparkComparison(null, rows.size(), List.copyOf(axes), Comparison.rank(rows, axes));
                }
            }
            return ranked(aggregated, axes);
        } finally {
            aggregated.unpersist();
        }
    }

    /** The aggregated rows sorted by the ranking rule's keys, numbered, and persisted (materialized before it returns). */
    private static SparkComparison ranked(Dataset<Row> aggregated, List<AxisLevels> axes) {
        Dataset<Row> agg = aggregated;
        for (int a = 0; a < axes.size(); a++) {
            agg = agg.withColumn(g(a), levelIndex(axes.get(a)));
        }
        Column health = when(col("majority").equalTo("HEALTHY"), 0)
                .when(col("majority").isin("VANISHING", "EXPLODING"), 1).otherwise(2);
        Column acc = col(m(Outcome.TEST_ACCURACY) + "._2");
        Column loss = col(m(Outcome.FINAL_TRAIN_LOSS) + "._2");
        Column flow = org.apache.spark.sql.functions.abs(col(m(Outcome.FLOW_DELTA_TRAIN) + "._2"));
        List<Column> order = new ArrayList<>(List.of(health, org.apache.spark.sql.functions.isnan(acc), acc.desc(),
                org.apache.spark.sql.functions.isnan(loss), loss, org.apache.spark.sql.functions.isnan(flow), flow));
        for (int a = 0; a < axes.size(); a++) {
            order.add(col(g(a)));
        }
        order.add(col("combination_id"));
        Dataset<Row> ranked = numbered(agg.orderBy(order.toArray(Column[]::new)), "rank", 1)
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            return new SparkComparison(ranked, ranked.count(), List.copyOf(axes), null);
        } catch (RuntimeException | Error e) {
            ranked.unpersist();
            throw e;
        }
    }

    /**
     * {@code sorted} with an int column {@code name} numbering its rows in order from {@code first}, where the rows
     * are: {@code zipWithIndex} counts each sorted partition, then numbers it.
     */
    private static Dataset<Row> numbered(Dataset<Row> sorted, String name, int first) {
        org.apache.spark.sql.types.StructType schema = sorted.schema().add(name, org.apache.spark.sql.types.DataTypes.IntegerType, false);
        return sorted.sparkSession().createDataFrame(sorted.javaRDD().zipWithIndex().map(t -> {
            Object[] v = new Object[t._1().length() + 1];
            for (int i = 0; i < v.length - 1; i++) {
                v[i] = t._1().get(i);
            }
            v[v.length - 1] = Math.toIntExact(t._2() + first);
            return org.apache.spark.sql.RowFactory.create(v);
        }), schema);
    }

    private static String m(Outcome x) {
        return "m" + x.ordinal();
    }

    private static String g(int axis) {
        return "g" + axis;
    }

    /**
     * An axis' level index of each row: {@link AxisLevels#indexOf} of the value as text, rendered by Java as the pure
     * functions render it (String.valueOf of the value Spark hands a Java function), looked up in a hash map because
     * an axis can have thousands of levels (a chain of comparisons that deep overflows the planner's stack).
     */
    private static Column levelIndex(AxisLevels axis) {
        java.util.HashMap<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < axis.levels().size(); i++) {
            index.putIfAbsent(axis.levels().get(i), i);
        }
        org.apache.spark.sql.api.java.UDF1<Object, Integer> lookup =
                v -> index.getOrDefault(String.valueOf(v), Integer.MAX_VALUE);
        return org.apache.spark.sql.functions.udf(lookup, org.apache.spark.sql.types.DataTypes.IntegerType)
                .asNonNullable().apply(setting(axis.name()));
    }

    /** An aggregated, ranked row of {@link #comparison} as the pure functions' row. */
    static ComparisonRow comparisonRow(Row r, List<AxisLevels> axes) {
        return comparisonRow(r, axes, r.getInt(r.fieldIndex("rank")));
    }

    private static ComparisonRow comparisonRow(Row r, List<AxisLevels> axes, int rank) {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            settings.put(Analysis.SETTINGS[i], r.get(r.fieldIndex(s(i))));
        }
        Map<Outcome, Estimate> est = new EnumMap<>(Outcome.class);
        for (Outcome x : Outcome.values()) {
            est.put(x, estimate(r.getStruct(r.fieldIndex(m(x)))));
        }
        return new ComparisonRow(r.getString(r.fieldIndex("combination_id")), Comparison.label(settings, axes), settings,
                Math.toIntExact(r.getLong(r.fieldIndex("n"))), Math.toIntExact(r.getLong(r.fieldIndex("failed"))),
                Math.toIntExact(r.getLong(r.fieldIndex("diverged"))), est, r.getString(r.fieldIndex("majority")), rank);
    }

    /**
     * The ranked comparison: held by the driver (a grid of few combinations), or ranked by Spark and persisted until
     * {@link #unpersist}.
     *
     * @param ranked       one aggregated row per combination with its rank (internal columns), or null
     * @param combinations its rows
     * @param axes         the varied axes
     * @param held         every row by rank where the driver ranked them, else null
     */
    record SparkComparison(Dataset<Row> ranked, long combinations, List<AxisLevels> axes, List<ComparisonRow> held) {

        /** The {@code comparison} dataset's rows ({@link io.gradflow.store.Schemas#COMPARISON}), by rank. */
        Dataset<Row> rows() {
            List<AxisLevels> a = axes;
            return ranked.map((org.apache.spark.api.java.function.MapFunction<Row, Row>) r ->
                    io.gradflow.store.Schemas.COMPARISON.toRow(comparisonRow(r, a)), Encoders.row(io.gradflow.store.Schemas.COMPARISON.schema()));
        }

        /** Writes the {@code comparison} dataset: by rank, at most about as many rows per file as the other datasets. */
        void write(SparkSession spark, String path) {
            if (held != null) {
                io.gradflow.store.DatasetWriter.write(spark, io.gradflow.store.Schemas.COMPARISON, held, path);
                return;
            }
            rows().coalesce((int) Math.max(1, (combinations + 49_999) / 50_000))
                    .write().mode(org.apache.spark.sql.SaveMode.ErrorIfExists).parquet(path);
        }

        /** Every row, collected by rank (tests, and grids of few combinations). */
        List<ComparisonRow> all() {
            if (held != null) {
                return held;
            }
            return ranked.orderBy("rank").collectAsList().stream().map(r -> comparisonRow(r, axes)).toList();
        }

        /** {@link ComparisonSample#of} where the rows are: only the rows drawn reach the driver. */
        ComparisonSample sample(ComparisonSample.Caps caps) {
            if (held != null) {
                return ComparisonSample.of(held, axes, caps);
            }
            Column depth = setting("depth");
            Row top = ranked.agg(org.apache.spark.sql.functions.max(depth)).first();
            int maxDepth = top.isNullAt(0) ? 0 : ((Number) top.get(0)).intValue();
            // Each depth's panel, in the order of its first row in grid order (ties by rank), as the pure function has them.
            List<Column> key = new ArrayList<>();
            for (int a = 0; a < axes.size(); a++) {
                key.add(col(g(a)));
            }
            key.add(col("rank"));
            List<Row> depths = new ArrayList<>(ranked.groupBy(depth.as("d")).agg(count(lit(1)).as("n"),
                    org.apache.spark.sql.functions.min(org.apache.spark.sql.functions.struct(key.toArray(Column[]::new))).as("first"))
                    .collectAsList());
            depths.sort((x, y) -> {
                Row a = x.getStruct(2);
                Row b = y.getStruct(2);
                for (int i = 0; i < a.length() - 1; i++) {
                    int c = Integer.compare(a.getInt(i), b.getInt(i));
                    if (c != 0) {
                        return c;
                    }
                }
                return Integer.compare(a.getInt(a.length() - 1), b.getInt(b.length() - 1));
            });
            AxisLevels split = ComparisonSample.splitAxis(axes);
            int splitAt = split == null ? -1 : axes.indexOf(split);
            List<Object> splitDepths = new ArrayList<>();
            depths.stream().filter(r -> split != null && r.getLong(1) > caps.columns()).forEach(r -> splitDepths.add(r.get(0)));
            Map<List<Object>, Long> perLevel = new HashMap<>();
            if (!splitDepths.isEmpty()) {
                for (Row r : ranked.where(depth.isin(splitDepths.toArray())).groupBy(depth, col(g(splitAt))).count().collectAsList()) {
                    perLevel.put(java.util.Arrays.asList(r.get(0), r.getInt(1)), r.getLong(2));
                }
            }
            List<ComparisonSample.Facet> facets = new ArrayList<>();
            for (Row r : depths) {
                Object d = r.get(0);
                String title = "depth " + d;
                if (!splitDepths.contains(d)) {
                    facets.add(new ComparisonSample.Facet(title, d, null, null, r.getLong(1)));
                    continue;
                }
                for (int l = 0; l < split.levels().size(); l++) {
                    Long n = perLevel.get(java.util.Arrays.asList(d, l));
                    if (n != null) {
                        String level = split.levels().get(l);
                        facets.add(new ComparisonSample.Facet(title + " · " + split.name() + "=" + level, d, split.name(), level, n));
                    }
                }
            }
            // the first columns of each panel drawn: numbered in grid order inside the panel
            Column inShown = lit(false);
            for (ComparisonSample.Facet fc : facets.subList(0, Math.min(caps.panels(), facets.size()))) {
                Column c = depth.eqNullSafe(lit(fc.depth()));
                if (fc.splitAxis() != null) {
                    c = c.and(col(g(splitAt)).equalTo(split.indexOf(fc.splitLevel())));
                }
                inShown = inShown.or(c);
            }
            Column panelKey = splitDepths.isEmpty() ? lit(-1) : when(depth.isin(splitDepths.toArray()), col(g(splitAt))).otherwise(lit(-1));
            org.apache.spark.sql.expressions.WindowSpec inPanel = org.apache.spark.sql.expressions.Window
                    .partitionBy(depth, panelKey).orderBy(key.toArray(Column[]::new));
            List<Row> columns = ranked.where(inShown).withColumn("_col", org.apache.spark.sql.functions.row_number().over(inPanel))
                    .where(col("_col").leq(caps.columns())).drop("_col").collectAsList();
            // The lines of the profile panels (ComparisonSample.panelLines): in each panel, the compared axes all at their
            // baseline (level 0) but at most one, which is at a level of its own; a line's slot is its place in the
            // panel's legend (0 the baseline, then every other level of every compared axis in grid order), the best
            // ranked combination of a slot its line.
            List<AxisLevels> compared = ComparisonSample.compared(axes);
            AxisLevels panelAxis = ComparisonSample.panelAxis(axes);
            Column pk = panelAxis == null ? lit(0) : col(g(axes.indexOf(panelAxis)));
            Column candidate = panelAxis == null ? lit(true) : pk.notEqual(Integer.MAX_VALUE);
            Column off = lit(0);
            Column slot = lit(0);
            int offset = 0;
            for (AxisLevels a : compared) {
                Column ga = col(g(axes.indexOf(a)));
                candidate = candidate.and(ga.notEqual(Integer.MAX_VALUE));
                off = off.plus(when(ga.notEqual(0), 1).otherwise(0));
                slot = slot.plus(when(ga.notEqual(0), ga.plus(offset)).otherwise(0));
                offset += a.levels().size() - 1;
            }
            candidate = candidate.and(off.leq(1));
            if (ComparisonSample.depthFixed(axes)) {
                candidate = candidate.and(depth.equalTo(maxDepth));
            }
            List<Row> others = List.of();
            int mostLines = 0;
            if (!axes.isEmpty()) {
                Dataset<Row> lines = ranked.where(candidate).withColumn("_pk", pk).withColumn("_slot", slot)
                        .withColumn("_first", org.apache.spark.sql.functions.row_number().over(org.apache.spark.sql.expressions.Window
                                .partitionBy("_pk", "_slot").orderBy("rank"))).where(col("_first").equalTo(1)).drop("_first");
                Object[] shown = lines.select("_pk").distinct().orderBy("_pk").limit(caps.panels()).collectAsList().stream()
                        .map(r -> r.get(0)).toArray();
                Dataset<Row> shownLines = lines.where(col("_pk").isin(shown));
                for (Row r : shownLines.groupBy("_pk").count().collectAsList()) {
                    mostLines = Math.max(mostLines, Math.toIntExact(r.getLong(1)));
                }
                others = shownLines.withColumn("_line", org.apache.spark.sql.functions.row_number().over(org.apache.spark.sql.expressions.Window
                        .partitionBy("_pk").orderBy("_slot"))).where(col("_line").leq(caps.lines())).collectAsList();
            }
            List<Row> best = ranked.where(col("rank").leq(caps.ranked())).collectAsList();
            Map<Integer, ComparisonRow> byRank = new java.util.TreeMap<>();
            for (Row r : columns) {
                byRank.put(r.getInt(r.fieldIndex("rank")), comparisonRow(r, axes));
            }
            for (Row r : others) {
                byRank.put(r.getInt(r.fieldIndex("rank")), comparisonRow(r, axes));
            }
            for (Row r : best) {
                byRank.put(r.getInt(r.fieldIndex("rank")), comparisonRow(r, axes));
            }
            return new ComparisonSample(combinations, maxDepth, new ArrayList<>(byRank.values()), facets, mostLines);
        }

        void unpersist() {
            if (ranked != null) {
                ranked.unpersist();
            }
        }
    }

    // ---------------------------------------------------------------- effects

    /**
     * The distinct combinations of settings, numbered: for each, its level index on every axis
     * ({@link AxisLevels#indexOf}) and, for every axis, the number of its settings with that axis masked. Two trials
     * pair on axis a exactly when their masked numbers on a and their seeds are equal, so the joins run on three small
     * numbers instead of every setting. {@link #of} numbers them on the driver (one entry per combination, up to
     * {@link #COMBOS_ON_DRIVER}), {@link #inSpark} where the rows are.
     */
    private record Combos(Map<String, Integer> byId, int[][] levels, int[][] masked) {

        static Combos of(Dataset<Row> f, List<AxisLevels> axes) {
            List<Column> cols = new ArrayList<>(List.of(col("combination_id")));
            for (int i = 0; i < Analysis.SETTINGS.length; i++) {
                cols.add(col(s(i)));
            }
            List<Row> rows = f.select(cols.toArray(Column[]::new)).distinct().orderBy("combination_id").collectAsList();
            Map<List<Object>, Integer> settingsIndex = new HashMap<>();
            Map<String, Integer> byId = new HashMap<>();
            List<List<Object>> settings = new ArrayList<>();
            for (Row r : rows) {
                List<Object> v = new ArrayList<>();
                for (int i = 0; i < Analysis.SETTINGS.length; i++) {
                    v.add(r.get(1 + i));
                }
                Integer c = settingsIndex.get(v);
                if (c == null) {
                    c = settings.size();
                    settingsIndex.put(v, c);
                    settings.add(v);
                }
                byId.put(r.getString(0), c);
            }
            int[][] levels = new int[settings.size()][axes.size()];
            int[][] masked = new int[settings.size()][axes.size()];
            Object mask = new Object();
            for (int a = 0; a < axes.size(); a++) {
                int sa = index(axes.get(a).name());
                Map<List<Object>, Integer> ids = new HashMap<>();
                for (int c = 0; c < settings.size(); c++) {
                    List<Object> v = new ArrayList<>(settings.get(c));
                    levels[c][a] = axes.get(a).indexOf(String.valueOf(v.get(sa)));
                    v.set(sa, mask);
                    masked[c][a] = ids.computeIfAbsent(v, k -> ids.size());
                }
            }
            return new Combos(byId, levels, masked);
        }

        /** combination_id → (c, masked numbers per axis, level per axis or null) as a small table to broadcast. */
        Dataset<Row> table(SparkSession spark, int nAxes) {
            List<Row> rows = new ArrayList<>();
            byId.forEach((id, c) -> {
                List<Integer> m = new ArrayList<>();
                List<Integer> l = new ArrayList<>();
                for (int a = 0; a < nAxes; a++) {
                    m.add(masked[c][a]);
                    l.add(levels[c][a] < 0 ? null : levels[c][a]);
                }
                rows.add(org.apache.spark.sql.RowFactory.create(id, c, m, l));
            });
            org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                    .add("combination_id", org.apache.spark.sql.types.DataTypes.StringType, false)
                    .add("c", org.apache.spark.sql.types.DataTypes.IntegerType, false)
                    .add("masked", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.IntegerType, false), false)
                    .add("levels", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.IntegerType, true), false);
            return spark.createDataFrame(rows, schema);
        }

        /**
         * {@link #table} computed by Spark, for a grid of more combinations than {@link #COMBOS_ON_DRIVER}: each
         * combination numbered in combination-id order (a global sort, so the numbers do not depend on partitioning),
         * and its masked number on axis a the least number among the combinations that share every other setting
         * (a window per axis). The numbers differ from {@link #of}'s, the pairs they make do not. Persisted (the
         * caller's count materializes it): unpersist it after use.
         */
        static Dataset<Row> inSpark(Dataset<Row> f, List<AxisLevels> axes) {
            List<Column> cols = new ArrayList<>(List.of(col("combination_id")));
            for (int i = 0; i < Analysis.SETTINGS.length; i++) {
                cols.add(col(s(i)));
            }
            Dataset<Row> numbered = numbered(f.select(cols.toArray(Column[]::new)).distinct().orderBy("combination_id"), "c", 0);
            Column[] masked = new Column[axes.size()];
            Column[] levels = new Column[axes.size()];
            for (int a = 0; a < axes.size(); a++) {
                int sa = index(axes.get(a).name());
                List<Column> others = new ArrayList<>();
                for (int i = 0; i < Analysis.SETTINGS.length; i++) {
                    if (i != sa) {
                        others.add(col(s(i)));
                    }
                }
                numbered = numbered.withColumn("_m" + a, org.apache.spark.sql.functions.min("c").over(
                        org.apache.spark.sql.expressions.Window.partitionBy(others.toArray(Column[]::new))));
                masked[a] = col("_m" + a);
                levels[a] = levelIndex(axes.get(a));
            }
            Dataset<Row> table = numbered.select(col("combination_id"), col("c"),
                    org.apache.spark.sql.functions.array(masked).as("masked"),
                    org.apache.spark.sql.functions.array(levels).as("levels"))
                    .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
            return table;
        }
    }

    /**
     * Combinations up to which {@link #effects} numbers them on the driver ({@link Combos#of}, about 1 KB each while it
     * runs) and broadcasts the table; beyond, Spark numbers them ({@link Combos#inSpark}).
     */
    static final long COMBOS_ON_DRIVER = 50_000;

    /**
     * What {@link #effects} computed.
     *
     * @param listed every main and interaction row and the conditional rows of the strata asked for, in the pure
     *               function's order: what the report and the terminal summary read, collected to the driver
     * @param all    every row, conditional ones included, in {@link io.gradflow.store.Schemas#EFFECTS}' schema and the
     *               pure function's order, to be written by Spark: a grid of many combinations has millions of
     *               conditional rows, which the driver never holds
     * @param cached what {@code all} is computed from, persisted until {@link #unpersist}
     */
    record SparkEffects(List<EffectRow> listed, Dataset<Row> all, List<Dataset<Row>> cached) {

        /** Frees the persisted cells once {@code all} is written. */
        void unpersist() {
            cached.forEach(Dataset::unpersist);
        }
    }

    /**
     * {@link Effects#compute} over the normalised frame. Every trial is paired, for every axis at once, with the
     * trial at that axis' baseline that shares its other settings and its seed (one join); each pair is counted in
     * its axis level's main row and in every stratum of one or two other axes it lies in (one exploded row per
     * stratum), and Spark sums the pairs exactly per (axis, level, stratum): one row per effect, however many
     * combinations there are, so that only the rows the report shows ({@code listedStrata}) reach the driver. The
     * pairs of axis a are paired once more, on the settings with a later axis b masked too, b at a level against b at
     * its baseline: the interaction quadruples, summed per (a level, b level).
     */
    static SparkEffects effects(SparkSession spark, Dataset<Row> f, List<AxisLevels> axes, java.util.Set<String> listedStrata,
                                boolean combosInSpark) {
        return effects(spark, f, axes, listedStrata, null, INTERACTIONS_ON_DRIVER, LISTED_INTERACTIONS, combosInSpark);
    }

    /**
     * Interaction cells (an axis level against a later axis' level) up to which every interaction row is collected;
     * beyond, e.g. two axes of several hundred levels each, Spark writes them and the driver keeps only the largest.
     */
    static final long INTERACTIONS_ON_DRIVER = 50_000;
    /**
     * Interaction rows kept per flow outcome beyond {@link #INTERACTIONS_ON_DRIVER}: the largest |mean|, at least as
     * many as the report's "largest effects" table lists, so the table is the same.
     */
    static final int LISTED_INTERACTIONS = 15;

    /**
     * Seeds per combination from which the pairs are first summed per (axis, combination) and those cells merged per
     * stratum ({@link #stratified}): with many seeds that is far fewer rows to explode; with one or two, about as many
     * rows, each carrying heavy exact-sum buffers instead of three doubles.
     */
    static final int CELLS_FROM_SEEDS = 4;

    /**
     * {@link #effects} with the strata's route forced ({@code viaCells} true or false) or chosen by the seeds (null),
     * and the interactions collected whole up to {@code interactionsOnDriver} cells, else the {@code topInteractions}
     * largest per flow outcome.
     */
    static SparkEffects effects(SparkSession spark, Dataset<Row> f, List<AxisLevels> axes, java.util.Set<String> listedStrata,
                                Boolean viaCells, long interactionsOnDriver, int topInteractions, boolean combosInSpark) {
        List<Outcome> outcomes = List.of(Outcome.values()).stream().filter(Outcome::key).toList();
        EffectCells cells = new EffectCells(axes, outcomes);
        if (axes.isEmpty()) {
            return new SparkEffects(List.of(), spark.createDataFrame(List.of(), io.gradflow.store.Schemas.EFFECTS.schema()), List.of());
        }
        register(spark);
        Dataset<Row> comboTable;
        long distinct;
        List<Dataset<Row>> cached = new ArrayList<>();
        if (combosInSpark) {
            comboTable = Combos.inSpark(f, axes);
            cached.add(comboTable);
            distinct = comboTable.count();
        } else {
            Combos combos = Combos.of(f, axes);
            comboTable = org.apache.spark.sql.functions.broadcast(combos.table(spark, axes.size()));
            distinct = combos.levels().length;
        }
        Dataset<Row> t = f.select(cols(List.of("combination_id", "seed"), outcomes)).join(comboTable, "combination_id");
        // One row per trial and axis, from one generator (a union of per-axis plans, joined, makes a plan whose
        // optimisation alone takes seconds).
        Column[] perAxis = new Column[axes.size()];
        for (int i = 0; i < axes.size(); i++) {
            perAxis[i] = org.apache.spark.sql.functions.struct(lit(i).as("ax"), col("masked").getItem(i).as("g"),
                    col("levels").getItem(i).as("lvl"));
        }
        List<Column> ex = new ArrayList<>(List.of(org.apache.spark.sql.functions.explode(
                org.apache.spark.sql.functions.array(perAxis)).as("x"), col("seed"), col("c"), col("masked"), col("levels")));
        outcomes.forEach(x -> ex.add(col(o(x))));
        Dataset<Row> exploded = t.select(ex.toArray(Column[]::new)).where(col("x.lvl").isNotNull());
        List<Column> baseCols = new ArrayList<>(List.of(col("x.ax").as("b_ax"), col("x.g").as("b_g"), col("seed").as("b_seed")));
        outcomes.forEach(x -> baseCols.add(col(o(x)).as("b" + x.ordinal())));
        Dataset<Row> base = exploded.where(col("x.lvl").equalTo(0)).select(baseCols.toArray(Column[]::new));
        Dataset<Row> alt = exploded.where(col("x.lvl").gt(0));
        List<Column> pairCols = new ArrayList<>(List.of(col("x.ax").as("ax"), col("x.lvl").as("alvl"), col("seed"), col("c"),
                col("masked"), col("levels")));
        for (Outcome x : outcomes) {
            Column ya = col(o(x));
            Column yb = col("b" + x.ordinal());
            pairCols.add(both(yb, ya, ya.minus(yb)).as("d" + x.ordinal()));
            pairCols.add(both(yb, ya, yb).as("yb" + x.ordinal()));
            pairCols.add(both(yb, ya, ya).as("yl" + x.ordinal()));
        }
        // Not cached: a cached plan keeps its shuffle partitions (adaptive execution may not coalesce them), and
        // partial sums per partition and cell cost more than joining twice.
        Dataset<Row> pairs = alt.join(base, col("x.ax").equalTo(col("b_ax")).and(col("x.g").equalTo(col("b_g")))
                .and(col("seed").equalTo(col("b_seed")))).select(pairCols.toArray(Column[]::new));
        boolean cellsFirst = viaCells != null ? viaCells : f.count() >= (long) CELLS_FROM_SEEDS * distinct;
        // Set before persist(): a cached plan is planned, its shuffle partitions fixed, when it is persisted.
        boolean partitionsSet = shufflePartitions(spark, strataBound(axes));
        Dataset<Row> strata;
        try {
            strata = stratified(pairs, axes.size(), outcomes, cellsFirst)
                    .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        } catch (RuntimeException | Error e) {
            restoreShufflePartitions(spark, partitionsSet);
            cached.forEach(Dataset::unpersist);
            throw e;
        }
        cached.add(strata);
        try {
            List<Row> shown = strata.filter(cells.shown(listedStrata)).collectAsList();
            List<EffectRow> listed = new ArrayList<>();
            EffectCells.sorted(shown, false).forEach(r -> listed.addAll(cells.conditional(r)));
            org.apache.spark.sql.types.StructType keyed = EffectCells.keyedSchema();
            Dataset<Row> rows = strata.flatMap((org.apache.spark.api.java.function.FlatMapFunction<Row, Row>) r ->
                            cells.keyedConditional(r).iterator(), Encoders.row(keyed));
            if (axes.size() > 1) {
                Dataset<Row> quads = interactionCells(pairs, axes, outcomes);
                if (interactionBound(axes) <= interactionsOnDriver) {
                    List<Row> all = quads.collectAsList();
                    List<Row> keyedQuads = new ArrayList<>();
                    all.forEach(r -> keyedQuads.addAll(cells.keyedInteractions(r)));
                    EffectCells.sorted(all, true).forEach(r -> listed.addAll(cells.interactions(r)));
                    rows = rows.union(spark.createDataFrame(keyedQuads, keyed));
                } else {
                    // read once per flow outcome and once to write: persisted, like the strata
                    quads = quads.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
                    cached.add(quads);
                    listed.addAll(largestInteractions(quads, outcomes, cells, topInteractions));
                    rows = rows.union(quads.flatMap((org.apache.spark.api.java.function.FlatMapFunction<Row, Row>) r ->
                            cells.keyedInteractions(r).iterator(), Encoders.row(keyed)));
                }
            }
            long n = rows.count();
            Column[] order = java.util.Arrays.stream(EffectCells.KEYS).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
            // Sorted, then adjacent partitions merged: the files hold the rows in the pure function's order, at most
            // about as many per file as the other datasets (DatasetWriter).
            Dataset<Row> all = rows.orderBy(order).coalesce((int) Math.max(1, (n + 49_999) / 50_000)).drop(EffectCells.KEYS);
            return new SparkEffects(listed, all, cached);
        } catch (RuntimeException | Error e) {
            cached.forEach(Dataset::unpersist);
            throw e;
        } finally {
            restoreShufflePartitions(spark, partitionsSet);
        }
    }

    private static final String SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions";
    /** Strata per shuffle partition of the effects' aggregations. */
    private static final long STRATA_PER_PARTITION = 5_000;

    /**
     * At most how many (axis level, stratum) cells {@link #stratified} can have: every level but the baseline of every
     * axis, in all pairs, in each level of every other axis, and in each pair of levels of every two other axes.
     */
    static long strataBound(List<AxisLevels> axes) {
        long total = 0;
        for (int a = 0; a < axes.size(); a++) {
            long cells = 1;
            for (int b = 0; b < axes.size(); b++) {
                if (b == a) {
                    continue;
                }
                cells += axes.get(b).levels().size();
                for (int c = b + 1; c < axes.size(); c++) {
                    if (c != a) {
                        cells += (long) axes.get(b).levels().size() * axes.get(c).levels().size();
                    }
                }
            }
            total += (axes.get(a).levels().size() - 1) * cells;
        }
        return total;
    }

    /**
     * Sets the shuffle partitions of the effects' aggregations to about one per {@value #STRATA_PER_PARTITION}
     * strata (at least one per slot, at most Spark's default of 200), unless the user set them; returns whether it
     * set them. Why: the strata are persisted, and adaptive
     * execution does not coalesce the shuffle partitions of a plan it caches; each of 200 nearly empty partitions
     * initialises the exact aggregates anew, which cost 10 s of a 100,800-trial report of 144 combinations.
     */
    private static boolean shufflePartitions(SparkSession spark, long strata) {
        // Not spark.conf().getOption(key): that returns the default of any setting Spark knows, set or not.
        if (spark.sessionState().conf().contains(SHUFFLE_PARTITIONS)) {
            return false;
        }
        long slots = Math.max(1, spark.sparkContext().defaultParallelism());
        long n = Math.max(slots, Math.min(200, (strata + STRATA_PER_PARTITION - 1) / STRATA_PER_PARTITION));
        spark.conf().set(SHUFFLE_PARTITIONS, Long.toString(n));
        return true;
    }

    private static void restoreShufflePartitions(SparkSession spark, boolean set) {
        if (set) {
            spark.conf().unset(SHUFFLE_PARTITIONS);
        }
    }

    /**
     * The pairs, each once in its (axis, level) main cell ({@code fam} 0) and once in every stratum of one other axis
     * ({@code fam} 1: axis b at level lb) and of two other axes ({@code fam} 2: b at lb, c2 at lc) its combination
     * lies in, summed exactly per cell: columns ax, alvl, fam, b, lb, c2, lc, then (count, mean, variance) of the
     * difference, the baseline and the level per outcome.
     */
    private static Dataset<Row> stratified(Dataset<Row> pairs, int nAxes, List<Outcome> outcomes, boolean cellsFirst) {
        Column[] aggs = momentsOf(outcomes, "d", "yb", "yl");
        if (cellsFirst) {
            // Summed per (axis, combination) first: the strata below merge these cells' exact sums, the same bits.
            List<Column> buffers = new ArrayList<>();
            List<Column> merged = new ArrayList<>();
            for (Outcome x : outcomes) {
                for (String p : new String[]{"d", "yb", "yl"}) {
                    buffers.add(org.apache.spark.sql.functions.call_function(BUFFER, col(p + x.ordinal())).as(p + x.ordinal()));
                    merged.add(org.apache.spark.sql.functions.call_function(MERGE, col(p + x.ordinal())));
                }
            }
            pairs = pairs.groupBy("ax", "alvl", "c", "levels").agg(buffers.get(0), buffers.subList(1, buffers.size()).toArray(Column[]::new));
            aggs = merged.toArray(Column[]::new);
        }
        List<Column> keys = new ArrayList<>();
        keys.add(stratumKey(lit(0), lit(-1), lit(-1), lit(-1), lit(-1)));
        for (int b = 0; b < nAxes; b++) {
            Column lb = col("levels").getItem(b);
            keys.add(when(col("ax").notEqual(b).and(lb.isNotNull()), stratumKey(lit(1), lit(b), lb, lit(-1), lit(-1))));
        }
        for (int b = 0; b < nAxes; b++) {
            for (int c = b + 1; c < nAxes; c++) {
                Column lb = col("levels").getItem(b);
                Column lc = col("levels").getItem(c);
                keys.add(when(col("ax").notEqual(b).and(col("ax").notEqual(c)).and(lb.isNotNull()).and(lc.isNotNull()),
                        stratumKey(lit(2), lit(b), lb, lit(c), lc)));
            }
        }
        List<Column> ex = new ArrayList<>(List.of(col("ax"), col("alvl"),
                org.apache.spark.sql.functions.explode(org.apache.spark.sql.functions.array(keys.toArray(Column[]::new))).as("k")));
        List<Column> flat = new ArrayList<>(List.of(col("ax"), col("alvl"), col("k.fam").as("fam"), col("k.b").as("b"),
                col("k.lb").as("lb"), col("k.c2").as("c2"), col("k.lc").as("lc")));
        for (Outcome x : outcomes) {
            for (String p : new String[]{"d", "yb", "yl"}) {
                ex.add(col(p + x.ordinal()));
                flat.add(col(p + x.ordinal()));
            }
        }
        return pairs.select(ex.toArray(Column[]::new)).where(col("k").isNotNull()).select(flat.toArray(Column[]::new))
                .groupBy("ax", "alvl", "fam", "b", "lb", "c2", "lc").agg(aggs[0], java.util.Arrays.copyOfRange(aggs, 1, aggs.length));
    }

    private static Column stratumKey(Column fam, Column b, Column lb, Column c2, Column lc) {
        return org.apache.spark.sql.functions.struct(fam.as("fam"), b.as("b"), lb.as("lb"), c2.as("c2"), lc.as("lc"));
    }

    /** (count, mean, variance) per outcome of the difference, the low and the high side. */
    private static Column[] momentsOf(List<Outcome> outcomes, String d, String low, String high) {
        List<Column> aggs = new ArrayList<>();
        for (Outcome x : outcomes) {
            aggs.add(moments(d + x.ordinal()));
            aggs.add(moments(low + x.ordinal()));
            aggs.add(moments(high + x.ordinal()));
        }
        return aggs.toArray(Column[]::new);
    }

    /**
     * The interaction quadruples summed per (axis a, a's level, later axis b, b's level): columns ax, alvl, by, blvl,
     * then (count, mean, variance) of the contrast, the effect at b's baseline and at b's level per outcome.
     */
    private static Dataset<Row> interactionCells(Dataset<Row> pairs, List<AxisLevels> axes, List<Outcome> outcomes) {
        // The pairs of axis i once per later axis j: pairs with j at a level meet those with j at its baseline when
        // their alternatives' settings agree but for j (equal masked numbers on j) and their seeds are equal.
        Column[] perAxis = new Column[axes.size()];
        for (int j = 0; j < axes.size(); j++) {
            perAxis[j] = org.apache.spark.sql.functions.struct(lit(j).as("by"), col("masked").getItem(j).as("g"),
                    col("levels").getItem(j).as("blvl"));
        }
        List<Column> c = new ArrayList<>(List.of(col("ax"), col("alvl"), col("seed"),
                org.apache.spark.sql.functions.explode(org.apache.spark.sql.functions.array(perAxis)).as("y")));
        outcomes.forEach(x -> c.add(col("d" + x.ordinal())));
        Dataset<Row> byAxis = pairs.select(c.toArray(Column[]::new))
                .where(col("y.by").gt(col("ax")).and(col("y.blvl").isNotNull()));
        List<Column> lowCols = new ArrayList<>(List.of(col("ax").as("q_ax"), col("y.by").as("q_by"), col("y.g").as("q_g"),
                col("seed").as("q_seed")));
        outcomes.forEach(x -> lowCols.add(col("d" + x.ordinal()).as("q" + x.ordinal())));
        Dataset<Row> low = byAxis.where(col("y.blvl").equalTo(0)).select(lowCols.toArray(Column[]::new));
        List<Column> highCols = new ArrayList<>(List.of(col("ax"), col("alvl"), col("y.by").as("by"), col("y.blvl").as("blvl"),
                col("y.g").as("g"), col("seed")));
        for (Outcome x : outcomes) {
            highCols.add(col("d" + x.ordinal()).as("h" + x.ordinal()));
        }
        Dataset<Row> high = byAxis.where(col("y.blvl").gt(0)).select(highCols.toArray(Column[]::new));
        List<Column> quadCols = new ArrayList<>(List.of(col("ax"), col("alvl"), col("by"), col("blvl")));
        for (Outcome x : outcomes) {
            Column q0 = col("q" + x.ordinal()); // y(level, by baseline) − y(baseline, by baseline)
            Column q1 = col("h" + x.ordinal()); // y(level, by level) − y(baseline, by level)
            quadCols.add(both(q0, q1, q1.minus(q0)).as("i" + x.ordinal()));
            quadCols.add(both(q0, q1, q0).as("i0_" + x.ordinal()));
            quadCols.add(both(q0, q1, q1).as("i1_" + x.ordinal()));
        }
        Dataset<Row> quads = high.join(low, col("ax").equalTo(col("q_ax")).and(col("by").equalTo(col("q_by")))
                .and(col("g").equalTo(col("q_g"))).and(col("seed").equalTo(col("q_seed")))).select(quadCols.toArray(Column[]::new));
        Column[] aggs = momentsOf(outcomes, "i", "i0_", "i1_");
        for (int k = 0; k < aggs.length; k++) {
            aggs[k] = aggs[k].as("m" + k); // by name, for largestInteractions' ordering
        }
        return quads.groupBy("ax", "alvl", "by", "blvl").agg(aggs[0], java.util.Arrays.copyOfRange(aggs, 1, aggs.length));
    }

    /** Interaction cells: every level but the baseline of each axis against every such level of each later axis. */
    static long interactionBound(List<AxisLevels> axes) {
        long total = 0;
        for (int a = 0; a < axes.size(); a++) {
            for (int b = a + 1; b < axes.size(); b++) {
                total += (long) (axes.get(a).levels().size() - 1) * (axes.get(b).levels().size() - 1);
            }
        }
        return total;
    }

    /**
     * The {@code top} interaction rows of largest |mean| per flow outcome (ties in the rows' order), in the pure
     * function's order: what the report's "largest effects" table can list.
     */
    private static List<EffectRow> largestInteractions(Dataset<Row> quads, List<Outcome> outcomes, EffectCells cells, int top) {
        // cell (ax, alvl, by, blvl) → its row, and the outcomes it is among the largest of
        Map<List<Integer>, Row> picked = new HashMap<>();
        Map<List<Integer>, java.util.Set<Outcome>> wanted = new HashMap<>();
        for (int n = 0; n < outcomes.size(); n++) {
            if (!outcomes.get(n).flow()) {
                continue;
            }
            Column d = col("m" + 3 * n);
            for (Row r : quads.where(d.getField("_1").gt(0))
                    .orderBy(org.apache.spark.sql.functions.abs(d.getField("_2")).desc(), col("ax"), col("by"), col("alvl"), col("blvl"))
                    .limit(top).collectAsList()) {
                List<Integer> cell = List.of(r.getInt(0), r.getInt(1), r.getInt(2), r.getInt(3));
                picked.putIfAbsent(cell, r);
                wanted.computeIfAbsent(cell, k -> java.util.EnumSet.noneOf(Outcome.class)).add(outcomes.get(n));
            }
        }
        List<EffectRow> out = new ArrayList<>();
        for (Row r : EffectCells.sorted(new ArrayList<>(picked.values()), true)) {
            java.util.Set<Outcome> w = wanted.get(List.of(r.getInt(0), r.getInt(1), r.getInt(2), r.getInt(3)));
            cells.interactions(r).stream().filter(e -> w.contains(e.outcome())).forEach(out::add);
        }
        return out;
    }

    /**
     * The summed cells of {@link #stratified} and {@link #interactionCells} turned into effect rows, on the driver
     * (what the report lists) and on the executors (every row, to write), so it is serializable and holds only the
     * axes' names and levels. The sort keys put the rows in {@link Effects#compute}'s order: main rows by axis,
     * level and outcome; conditional rows by axis, level, then the strata of one other axis (by axis, level) before
     * those of two (by the axes, then their levels), then outcome; interaction rows by the two axes, their levels and
     * outcome.
     */
    static final class EffectCells implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        static final String[] KEYS = {"_k0", "_k1", "_k2", "_k3", "_k4", "_k5", "_k6", "_k7", "_k8"};
        private static final int MOMENTS_AT = 7;

        private final String[] names;
        private final String[][] levels;
        private final Outcome[] outcomes;

        EffectCells(List<AxisLevels> axes, List<Outcome> outcomes) {
            names = axes.stream().map(AxisLevels::name).toArray(String[]::new);
            levels = axes.stream().map(a -> a.levels().toArray(String[]::new)).toArray(String[][]::new);
            this.outcomes = outcomes.toArray(Outcome[]::new);
        }

        static org.apache.spark.sql.types.StructType keyedSchema() {
            org.apache.spark.sql.types.StructType s = io.gradflow.store.Schemas.EFFECTS.schema();
            for (String k : KEYS) {
                s = s.add(k, org.apache.spark.sql.types.DataTypes.IntegerType, false);
            }
            return s;
        }

        /** The stratum label of a {@link #stratified} cell: "all", "b=lb" or "b=lb, c2=lc". */
        String label(Row r) {
            int fam = r.getInt(2);
            if (fam == 0) {
                return EffectRow.ALL;
            }
            String one = names[r.getInt(3)] + "=" + levels[r.getInt(3)][r.getInt(4)];
            return fam == 1 ? one : one + ", " + names[r.getInt(5)] + "=" + levels[r.getInt(5)][r.getInt(6)];
        }

        /** Main cells and the conditional cells of the strata listed. */
        org.apache.spark.api.java.function.FilterFunction<Row> shown(java.util.Set<String> listedStrata) {
            java.util.Set<String> listed = java.util.Set.copyOf(listedStrata);
            return r -> r.getInt(2) == 0 || listed.contains(label(r));
        }

        /** The main or conditional rows of a {@link #stratified} cell, one per outcome with a pair. */
        List<EffectRow> conditional(Row r) {
            int a = r.getInt(0);
            String kind = r.getInt(2) == 0 ? EffectRow.MAIN : EffectRow.CONDITIONAL;
            String label = label(r);
            List<EffectRow> out = new ArrayList<>();
            for (int n = 0; n < outcomes.length; n++) {
                Row d = r.getStruct(MOMENTS_AT + 3 * n);
                if (d.getLong(0) > 0) {
                    out.add(new EffectRow(kind, outcomes[n], names[a], levels[a][r.getInt(1)], levels[a][0], label, null, null,
                            null, estimate(d), r.getStruct(MOMENTS_AT + 3 * n + 1).getDouble(1),
                            r.getStruct(MOMENTS_AT + 3 * n + 2).getDouble(1)));
                }
            }
            return out;
        }

        /** The interaction rows of an {@link #interactionCells} cell, one per outcome with a quadruple. */
        List<EffectRow> interactions(Row r) {
            int a = r.getInt(0);
            int b = r.getInt(2);
            List<EffectRow> out = new ArrayList<>();
            for (int n = 0; n < outcomes.length; n++) {
                Row d = r.getStruct(4 + 3 * n);
                if (d.getLong(0) > 0) {
                    out.add(new EffectRow(EffectRow.INTERACTION, outcomes[n], names[a], levels[a][r.getInt(1)], levels[a][0],
                            EffectRow.ALL, names[b], levels[b][r.getInt(3)], levels[b][0], estimate(d),
                            r.getStruct(4 + 3 * n + 1).getDouble(1), r.getStruct(4 + 3 * n + 2).getDouble(1)));
                }
            }
            return out;
        }

        /** A cell's sort key (see the class comment), without the outcome. */
        static int[] key(Row r, boolean interaction) {
            if (interaction) { // a, b, a's level, b's level
                return new int[]{2, r.getInt(0), r.getInt(2), r.getInt(1), r.getInt(3), 0, 0, 0};
            }
            int fam = r.getInt(2);
            // a, a's level, one-axis strata before two-axis ones, b, c2, lb, lc
            return new int[]{fam == 0 ? 0 : 1, r.getInt(0), r.getInt(1), fam, r.getInt(3), r.getInt(5), r.getInt(4), r.getInt(6)};
        }

        /** Cells of one kind in their rows' order. */
        static List<Row> sorted(List<Row> cells, boolean interaction) {
            List<Row> out = new ArrayList<>(cells);
            out.sort((x, y) -> java.util.Arrays.compare(key(x, interaction), key(y, interaction)));
            return out;
        }

        List<Row> keyedConditional(Row r) {
            return keyed(conditional(r), key(r, false));
        }

        List<Row> keyedInteractions(Row r) {
            return keyed(interactions(r), key(r, true));
        }

        /** The effect rows in the dataset's schema, each followed by the cell's key and the outcome's ordinal. */
        private List<Row> keyed(List<EffectRow> rows, int[] key) {
            List<Row> out = new ArrayList<>(rows.size());
            for (EffectRow e : rows) {
                Row v = io.gradflow.store.Schemas.EFFECTS.toRow(e);
                Object[] cells = new Object[v.length() + KEYS.length];
                for (int i = 0; i < v.length(); i++) {
                    cells[i] = v.get(i);
                }
                for (int i = 0; i < key.length; i++) {
                    cells[v.length() + i] = key[i];
                }
                cells[v.length() + key.length] = e.outcome().ordinal(); // orders as the outcomes' list does
                out.add(org.apache.spark.sql.RowFactory.create(cells));
            }
            return out;
        }
    }

    private static Column[] cols(List<String> names, List<Outcome> outcomes) {
        List<Column> c = new ArrayList<>();
        names.forEach(n -> c.add(col(n)));
        outcomes.forEach(x -> c.add(col(o(x))));
        return c.toArray(Column[]::new);
    }

    /** y − x where both are present, else null; and x or y themselves under the same condition. */
    private static Column both(Column x, Column y, Column value) {
        return when(x.isNotNull().and(y.isNotNull()), value);
    }
}
