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
 * {@code trials} dataset, so that only one row per combination, per effect or per verdict reaches the driver,
 * however many trials there are. Comparison is one aggregation by combination; effects are two joins (the pairs of
 * every axis at once, then pairs of pairs for the interactions) whose sums Spark aggregates per (axis, combination)
 * and the driver merges into rows ({@link #effects}). Every mean and deviation comes from an {@link ExactSum}, here
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
     * A Spark aggregate of a double column into an {@link ExactSum}; nulls are left out, as non-finite values are by
     * {@link ExactSum#add}. The subclasses say what comes out.
     */
    abstract static class ExactAggregate<OUT> extends Aggregator<Double, ExactSum, OUT> {
        private static final long serialVersionUID = 1L;

        @Override
        public ExactSum zero() {
            return new ExactSum();
        }

        @Override
        public ExactSum reduce(ExactSum b, Double v) {
            if (v != null) {
                b.add(v);
            }
            return b;
        }

        @Override
        public ExactSum merge(ExactSum a, ExactSum b) {
            return a.merge(b);
        }

        @Override
        public Encoder<ExactSum> bufferEncoder() {
            return Encoders.javaSerialization(ExactSum.class);
        }
    }

    /** The exact sums of a column, out as (count, mean, variance). */
    static final class ExactMoments extends ExactAggregate<Tuple3<Long, Double, Double>> {
        private static final long serialVersionUID = 1L;

        @Override
        public Tuple3<Long, Double, Double> finish(ExactSum r) {
            return new Tuple3<>(r.count(), r.mean(), r.variance());
        }

        @Override
        public Encoder<Tuple3<Long, Double, Double>> outputEncoder() {
            return Encoders.tuple(Encoders.LONG(), Encoders.DOUBLE(), Encoders.DOUBLE());
        }
    }

    /** Registers both aggregates in the session once (registering again would only log a warning per analysis). */
    static void register(SparkSession spark) {
        if (!spark.catalog().functionExists(MOMENTS)) {
            spark.udf().register(MOMENTS, org.apache.spark.sql.functions.udaf(new ExactMoments(), Encoders.DOUBLE()));
        }
        if (!spark.catalog().functionExists(BUFFER)) {
            spark.udf().register(BUFFER, org.apache.spark.sql.functions.udaf(new ExactBuffer(), Encoders.DOUBLE()));
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

    static List<ComparisonRow> comparison(Dataset<Row> f, List<AxisLevels> axes) {
        register(f.sparkSession());
        List<Column> aggs = new ArrayList<>(List.of(count(lit(1)), sum(when(col("verdict").equalTo("FAILED"), 1).otherwise(0)),
                sum(when(col("verdict").equalTo("DIVERGED"), 1).otherwise(0))));
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            aggs.add(first(col(s(i))));
        }
        for (Outcome x : Outcome.values()) {
            aggs.add(moments(o(x)));
        }
        Map<String, Map<String, Long>> verdicts = new HashMap<>();
        for (Row r : f.groupBy("combination_id", "verdict").count().collectAsList()) {
            verdicts.computeIfAbsent(r.getString(0), k -> new HashMap<>()).put(r.getString(1), r.getLong(2));
        }
        List<ComparisonRow> rows = new ArrayList<>();
        for (Row r : f.groupBy("combination_id").agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
                .collectAsList()) {
            Map<String, Object> settings = new LinkedHashMap<>();
            for (int i = 0; i < Analysis.SETTINGS.length; i++) {
                settings.put(Analysis.SETTINGS[i], r.get(4 + i));
            }
            Map<Outcome, Estimate> est = new EnumMap<>(Outcome.class);
            for (Outcome x : Outcome.values()) {
                est.put(x, estimate(r.getStruct(4 + Analysis.SETTINGS.length + x.ordinal())));
            }
            String id = r.getString(0);
            rows.add(new ComparisonRow(id, Comparison.label(settings, axes), settings, Math.toIntExact(r.getLong(1)),
                    Math.toIntExact(r.getLong(2)), Math.toIntExact(r.getLong(3)), est, Comparison.majority(verdicts.get(id)), 0));
        }
        return Comparison.rank(rows, axes);
    }

    // ---------------------------------------------------------------- effects

    /**
     * The exact sums of a column themselves (Java-serialized), so that cells aggregated by Spark can be merged further,
     * exactly, on the driver.
     */
    static final class ExactBuffer extends ExactAggregate<ExactSum> {
        private static final long serialVersionUID = 1L;

        @Override
        public ExactSum finish(ExactSum r) {
            return r;
        }

        @Override
        public Encoder<ExactSum> outputEncoder() {
            return Encoders.javaSerialization(ExactSum.class);
        }
    }

    private static ExactSum buffer(Row r, int i) {
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream((byte[]) r.get(i)))) {
            return (ExactSum) in.readObject();
        } catch (java.io.IOException | ClassNotFoundException e) {
            throw new IllegalStateException("an exact sum from Spark could not be read back", e);
        }
    }

    /**
     * The distinct combinations of settings, numbered: for each, its level index on every axis (−1 outside the
     * axis' levels) and, for every axis, the number of its settings with that axis masked. Two trials pair on axis a
     * exactly when their masked numbers on a and their seeds are equal, so the joins run on three small numbers
     * instead of every setting; the driver holds one entry per combination, as the comparison does.
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
    }

    /**
     * {@link Effects#compute} over the normalised frame. Every trial is paired, for every axis at once, with the
     * trial at that axis' baseline that shares its other settings and its seed (one join); Spark sums the pairs
     * exactly per (axis, combination), and the driver merges those cells into the main and conditional rows. The
     * pairs of axis a are paired once more, on the settings with a later axis b masked too, b at a level against b at
     * its baseline: the interaction quadruples, summed per (a, b, combination) and merged per (a level, b level).
     */
    static List<EffectRow> effects(SparkSession spark, Dataset<Row> f, List<AxisLevels> axes) {
        List<Outcome> outcomes = List.of(Outcome.values()).stream().filter(Outcome::key).toList();
        if (axes.isEmpty()) {
            return List.of();
        }
        register(spark);
        Combos combos = Combos.of(f, axes);
        Dataset<Row> t = f.select(cols(List.of("combination_id", "seed"), outcomes))
                .join(org.apache.spark.sql.functions.broadcast(combos.table(spark, axes.size())), "combination_id");
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
        List<Column> pairCols = new ArrayList<>(List.of(col("x.ax").as("ax"), col("seed"), col("c"), col("masked"), col("levels")));
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
        Map<String, EffectRow> found = new HashMap<>();
        mainAndConditional(pairs, axes, outcomes, combos, found);
        if (axes.size() > 1) {
            interactions(pairs, axes, outcomes, combos, found);
        }
        return ordered(axes, outcomes, found);
    }

    /** The registered name of {@link ExactBuffer}. */
    static final String BUFFER = "gradflow_exact_buffer";

    private static Column buffer(Column c) {
        return org.apache.spark.sql.functions.call_function(BUFFER, c);
    }

    private static ExactSum[] zeros(int n) {
        ExactSum[] z = new ExactSum[n];
        for (int j = 0; j < n; j++) {
            z[j] = new ExactSum();
        }
        return z;
    }

    /** Spark's exact sums per cell (the grouping columns, then 3 per outcome), merged into {@code into[key]}. */
    private static void mergeCell(Row r, int at, int n, Map<String, ExactSum[]> into, List<String> keys) {
        ExactSum[] cell = new ExactSum[n];
        for (int j = 0; j < n; j++) {
            cell[j] = buffer(r, at + j);
        }
        for (String key : keys) {
            ExactSum[] acc = into.computeIfAbsent(key, x -> zeros(n));
            for (int j = 0; j < n; j++) {
                acc[j].merge(cell[j]);
            }
        }
    }

    private static Column[] sums(List<Outcome> outcomes, String d, String low, String high) {
        List<Column> aggs = new ArrayList<>();
        for (Outcome x : outcomes) {
            aggs.add(buffer(col(d + x.ordinal())));
            aggs.add(buffer(col(low + x.ordinal())));
            aggs.add(buffer(col(high + x.ordinal())));
        }
        return aggs.toArray(Column[]::new);
    }

    private static void mainAndConditional(Dataset<Row> pairs, List<AxisLevels> axes, List<Outcome> outcomes, Combos combos,
                                           Map<String, EffectRow> found) {
        Column[] aggs = sums(outcomes, "d", "yb", "yl");
        int k = outcomes.size();
        // (axis, level, stratum label) → 3k exact sums (difference, baseline, level per outcome).
        Map<String, ExactSum[]> strata = new LinkedHashMap<>();
        for (Row r : pairs.groupBy("ax", "c").agg(aggs[0], java.util.Arrays.copyOfRange(aggs, 1, aggs.length)).collectAsList()) {
            int ia = r.getInt(0);
            int[] lv = combos.levels()[r.getInt(1)];
            String prefix = ia + "\u0000" + lv[ia] + "\u0000";
            List<Integer> others = new ArrayList<>();
            for (int b = 0; b < axes.size(); b++) {
                if (b != ia && lv[b] >= 0) {
                    others.add(b);
                }
            }
            List<String> keys = new ArrayList<>(List.of(prefix + EffectRow.ALL));
            for (int p = 0; p < others.size(); p++) {
                keys.add(prefix + stratumPart(axes, others.get(p), lv));
                for (int q = p + 1; q < others.size(); q++) {
                    keys.add(prefix + stratumPart(axes, others.get(p), lv) + ", " + stratumPart(axes, others.get(q), lv));
                }
            }
            mergeCell(r, 2, 3 * k, strata, keys);
        }
        strata.forEach((key, acc) -> {
            String[] parts = key.split("\u0000", 3);
            AxisLevels a = axes.get(Integer.parseInt(parts[0]));
            String level = a.levels().get(Integer.parseInt(parts[1]));
            String label = parts[2];
            String kind = label.equals(EffectRow.ALL) ? EffectRow.MAIN : EffectRow.CONDITIONAL;
            for (int n = 0; n < k; n++) {
                Estimate d = Estimate.of(acc[3 * n]);
                if (d.n() > 0) {
                    Outcome x = outcomes.get(n);
                    found.put(key(kind, x, a.name(), level, label, null, null), new EffectRow(kind, x, a.name(), level,
                            a.baseline(), label, null, null, null, d, acc[3 * n + 1].mean(), acc[3 * n + 2].mean()));
                }
            }
        });
    }

    private static String stratumPart(List<AxisLevels> axes, int b, int[] levels) {
        AxisLevels x = axes.get(b);
        return x.name() + "=" + x.levels().get(levels[b]);
    }

    private static void interactions(Dataset<Row> pairs, List<AxisLevels> axes, List<Outcome> outcomes, Combos combos,
                                     Map<String, EffectRow> found) {
        // The pairs of axis i once per later axis j: pairs with j at a level meet those with j at its baseline when
        // their alternatives' settings agree but for j (equal masked numbers on j) and their seeds are equal.
        Column[] perAxis = new Column[axes.size()];
        for (int j = 0; j < axes.size(); j++) {
            perAxis[j] = org.apache.spark.sql.functions.struct(lit(j).as("by"), col("masked").getItem(j).as("g"),
                    col("levels").getItem(j).as("blvl"));
        }
        List<Column> c = new ArrayList<>(List.of(col("ax"), col("seed"), col("c"),
                org.apache.spark.sql.functions.explode(org.apache.spark.sql.functions.array(perAxis)).as("y")));
        outcomes.forEach(x -> c.add(col("d" + x.ordinal())));
        Dataset<Row> byAxis = pairs.select(c.toArray(Column[]::new))
                .where(col("y.by").gt(col("ax")).and(col("y.blvl").isNotNull()));
        List<Column> lowCols = new ArrayList<>(List.of(col("ax").as("q_ax"), col("y.by").as("q_by"), col("y.g").as("q_g"),
                col("seed").as("q_seed")));
        outcomes.forEach(x -> lowCols.add(col("d" + x.ordinal()).as("q" + x.ordinal())));
        Dataset<Row> low = byAxis.where(col("y.blvl").equalTo(0)).select(lowCols.toArray(Column[]::new));
        List<Column> highCols = new ArrayList<>(List.of(col("ax"), col("y.by").as("by"), col("y.g").as("g"), col("seed"), col("c")));
        for (Outcome x : outcomes) {
            highCols.add(col("d" + x.ordinal()).as("h" + x.ordinal()));
        }
        Dataset<Row> high = byAxis.where(col("y.blvl").gt(0)).select(highCols.toArray(Column[]::new));
        List<Column> quadCols = new ArrayList<>(List.of(col("ax"), col("by"), col("c")));
        for (Outcome x : outcomes) {
            Column q0 = col("q" + x.ordinal()); // y(level, by baseline) − y(baseline, by baseline)
            Column q1 = col("h" + x.ordinal()); // y(level, by level) − y(baseline, by level)
            quadCols.add(both(q0, q1, q1.minus(q0)).as("i" + x.ordinal()));
            quadCols.add(both(q0, q1, q0).as("i0_" + x.ordinal()));
            quadCols.add(both(q0, q1, q1).as("i1_" + x.ordinal()));
        }
        Dataset<Row> quads = high.join(low, col("ax").equalTo(col("q_ax")).and(col("by").equalTo(col("q_by")))
                .and(col("g").equalTo(col("q_g"))).and(col("seed").equalTo(col("q_seed")))).select(quadCols.toArray(Column[]::new));
        Column[] aggs = sums(outcomes, "i", "i0_", "i1_");
        int k = outcomes.size();
        Map<String, ExactSum[]> cells = new LinkedHashMap<>();
        for (Row r : quads.groupBy("ax", "by", "c").agg(aggs[0], java.util.Arrays.copyOfRange(aggs, 1, aggs.length)).collectAsList()) {
            int ia = r.getInt(0);
            int ib = r.getInt(1);
            int[] lv = combos.levels()[r.getInt(2)];
            mergeCell(r, 3, 3 * k, cells, List.of(ia + "\u0000" + lv[ia] + "\u0000" + ib + "\u0000" + lv[ib]));
        }
        cells.forEach((key, acc) -> {
            String[] parts = key.split("\u0000");
            AxisLevels a = axes.get(Integer.parseInt(parts[0]));
            AxisLevels b = axes.get(Integer.parseInt(parts[2]));
            String levelA = a.levels().get(Integer.parseInt(parts[1]));
            String levelB = b.levels().get(Integer.parseInt(parts[3]));
            for (int n = 0; n < k; n++) {
                Estimate d = Estimate.of(acc[3 * n]);
                if (d.n() > 0) {
                    Outcome x = outcomes.get(n);
                    found.put(key(EffectRow.INTERACTION, x, a.name(), levelA, EffectRow.ALL, b.name(), levelB),
                            new EffectRow(EffectRow.INTERACTION, x, a.name(), levelA, a.baseline(), EffectRow.ALL, b.name(),
                                    levelB, b.baseline(), d, acc[3 * n + 1].mean(), acc[3 * n + 2].mean()));
                }
            }
        });
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

    private static String key(String kind, Outcome x, String axis, String level, String stratum, String byAxis, String byLevel) {
        return kind + '\u0000' + x + '\u0000' + axis + '\u0000' + level + '\u0000' + stratum + '\u0000' + byAxis + '\u0000' + byLevel;
    }

    /** The rows found, in the pure function's order: main, conditional (by stratum), interaction. */
    private static List<EffectRow> ordered(List<AxisLevels> axes, List<Outcome> outcomes, Map<String, EffectRow> found) {
        List<EffectRow> out = new ArrayList<>();
        for (AxisLevels a : axes) {
            for (String level : a.levels().subList(1, a.levels().size())) {
                for (Outcome x : outcomes) {
                    add(out, found, key(EffectRow.MAIN, x, a.name(), level, EffectRow.ALL, null, null));
                }
            }
        }
        for (AxisLevels a : axes) {
            List<AxisLevels> others = axes.stream().filter(y -> y != a).toList();
            for (String level : a.levels().subList(1, a.levels().size())) {
                for (List<Map.Entry<String, String>> stratum : Effects.strata(others)) {
                    String label = Effects.stratumLabel(stratum);
                    for (Outcome x : outcomes) {
                        add(out, found, key(EffectRow.CONDITIONAL, x, a.name(), level, label, null, null));
                    }
                }
            }
        }
        for (int i = 0; i < axes.size(); i++) {
            for (int j = i + 1; j < axes.size(); j++) {
                AxisLevels a = axes.get(i);
                AxisLevels b = axes.get(j);
                for (String la : a.levels().subList(1, a.levels().size())) {
                    for (String lb : b.levels().subList(1, b.levels().size())) {
                        for (Outcome x : outcomes) {
                            add(out, found, key(EffectRow.INTERACTION, x, a.name(), la, EffectRow.ALL, b.name(), lb));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void add(List<EffectRow> out, Map<String, EffectRow> found, String key) {
        EffectRow r = found.get(key);
        if (r != null) {
            out.add(r);
        }
    }
}
