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
 * however many trials there are. Effects' pairs are self-joins on every other setting and the seed, the strata
 * one grouping-sets aggregation per axis, interactions two joins of pairs per pair of axes. Every mean and
 * deviation is an {@link ExactSum}, here as a Spark aggregate, so the results equal the pure functions' bit for
 * bit (AnalysisIT checks it on a real sweep) and do not depend on partitioning or merge order.
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
     * A Spark aggregate of a double column: its {@link ExactSum}, out as (count, mean, variance). Nulls are left
     * out, as non-finite values are by {@link ExactSum#add}.
     */
    static final class ExactMoments extends Aggregator<Double, ExactSum, Tuple3<Long, Double, Double>> {
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
        public Tuple3<Long, Double, Double> finish(ExactSum r) {
            return new Tuple3<>(r.count(), r.mean(), r.variance());
        }

        @Override
        public Encoder<ExactSum> bufferEncoder() {
            return Encoders.javaSerialization(ExactSum.class);
        }

        @Override
        public Encoder<Tuple3<Long, Double, Double>> outputEncoder() {
            return Encoders.tuple(Encoders.LONG(), Encoders.DOUBLE(), Encoders.DOUBLE());
        }
    }

    static void register(SparkSession spark) {
        spark.udf().register(MOMENTS, org.apache.spark.sql.functions.udaf(new ExactMoments(), Encoders.DOUBLE()));
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
     * {@link Effects#compute} over the normalised frame; {@code values} are the settings' distinct values
     * ({@link #distinctValues}), which map each axis value to its level index.
     */
    static List<EffectRow> effects(SparkSession spark, Dataset<Row> f, List<AxisLevels> axes, Map<String, List<Object>> values) {
        List<Outcome> outcomes = List.of(Outcome.values()).stream().filter(Outcome::key).toList();
        // l<i>: the level index of axis i (0 = baseline), null for a value outside the axis' levels.
        Dataset<Row> e = f;
        for (int i = 0; i < axes.size(); i++) {
            AxisLevels a = axes.get(i);
            Column idx = null;
            for (Object v : values.get(a.name())) {
                int k = a.indexOf(String.valueOf(v));
                if (k >= 0) {
                    Column c = col(s(index(a.name()))).equalTo(lit(v));
                    idx = idx == null ? when(c, k) : idx.when(c, k);
                }
            }
            e = e.withColumn("l" + i, idx == null ? lit(null).cast("int") : idx);
        }
        e = e.drop("trial_id", "combination_id", "verdict", "error_message", "error_stack", "wall_time_ms", "stopped_at_step")
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            Map<String, EffectRow> found = new HashMap<>();
            for (int i = 0; i < axes.size(); i++) {
                pairs(spark, e, axes, i, outcomes, found);
            }
            for (int i = 0; i < axes.size(); i++) {
                for (int j = i + 1; j < axes.size(); j++) {
                    interactions(e, axes, i, j, outcomes, found);
                }
            }
            return ordered(axes, outcomes, found);
        } finally {
            e.unpersist();
        }
    }

    /** The join keys of a pair: every setting but the free axes', and the seed. */
    private static List<String> keys(List<AxisLevels> axes, int... free) {
        List<String> k = new ArrayList<>();
        outer:
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            for (int a : free) {
                if (Analysis.SETTINGS[i].equals(axes.get(a).name())) {
                    continue outer;
                }
            }
            k.add(s(i));
        }
        k.add("seed");
        return k;
    }

    private static Column joinOn(Dataset<Row> left, Dataset<Row> right, List<String> keys, String rightPrefix) {
        Column on = lit(true);
        for (String k : keys) {
            on = on.and(left.col(k).eqNullSafe(right.col(rightPrefix + k)));
        }
        return on;
    }

    private static Dataset<Row> prefixed(Dataset<Row> d, List<String> keys, String prefix) {
        for (String k : keys) {
            d = d.withColumnRenamed(k, prefix + k);
        }
        return d;
    }

    /** y − x where both are present, else null; and x or y themselves under the same condition. */
    private static Column both(Column x, Column y, Column value) {
        return when(x.isNotNull().and(y.isNotNull()), value);
    }

    private static void pairs(SparkSession spark, Dataset<Row> e, List<AxisLevels> axes, int ia, List<Outcome> outcomes,
                              Map<String, EffectRow> found) {
        AxisLevels a = axes.get(ia);
        List<String> keys = keys(axes, ia);
        List<Integer> others = new ArrayList<>();
        for (int i = 0; i < axes.size(); i++) {
            if (i != ia) {
                others.add(i);
            }
        }
        List<Column> altCols = new ArrayList<>();
        keys.forEach(k -> altCols.add(col(k)));
        altCols.add(col("l" + ia).as("lvl"));
        others.forEach(b -> altCols.add(col("l" + b)));
        outcomes.forEach(x -> altCols.add(col(o(x)).as("a" + x.ordinal())));
        Dataset<Row> alt = e.where(col("l" + ia).gt(0)).select(altCols.toArray(Column[]::new));
        List<Column> baseCols = new ArrayList<>();
        keys.forEach(k -> baseCols.add(col(k)));
        outcomes.forEach(x -> baseCols.add(col(o(x)).as("b" + x.ordinal())));
        Dataset<Row> base = prefixed(e.where(col("l" + ia).equalTo(0)).select(baseCols.toArray(Column[]::new)), keys, "k_");

        List<Column> pairCols = new ArrayList<>();
        pairCols.add(col("lvl"));
        others.forEach(b -> pairCols.add(col("l" + b)));
        for (Outcome x : outcomes) {
            Column ya = col("a" + x.ordinal());
            Column yb = col("b" + x.ordinal());
            pairCols.add(both(yb, ya, ya.minus(yb)).as("d" + x.ordinal()));
            pairCols.add(both(yb, ya, yb).as("yb" + x.ordinal()));
            pairCols.add(both(yb, ya, ya).as("yl" + x.ordinal()));
        }
        String view = "gradflow_pairs_" + ia;
        alt.join(base, joinOn(alt, base, keys, "k_")).select(pairCols.toArray(Column[]::new)).createOrReplaceTempView(view);

        // Grouping sets: all pairs (main), each other axis at a level, each two other axes at a level each.
        List<String> sets = new ArrayList<>(List.of("(lvl)"));
        others.forEach(b -> sets.add("(lvl, l" + b + ")"));
        for (int p = 0; p < others.size(); p++) {
            for (int q = p + 1; q < others.size(); q++) {
                sets.add("(lvl, l" + others.get(p) + ", l" + others.get(q) + ")");
            }
        }
        StringBuilder sql = new StringBuilder("SELECT lvl");
        others.forEach(b -> sql.append(", l").append(b).append(", grouping(l").append(b).append(")"));
        for (Outcome x : outcomes) {
            int k = x.ordinal();
            sql.append(", ").append(MOMENTS).append("(d").append(k).append("), ").append(MOMENTS).append("(yb").append(k)
                    .append("), ").append(MOMENTS).append("(yl").append(k).append(")");
        }
        sql.append(" FROM ").append(view).append(" GROUP BY GROUPING SETS (").append(String.join(", ", sets)).append(")");
        try {
            rows:
            for (Row r : spark.sql(sql.toString()).collectAsList()) {
                String level = a.levels().get(r.getInt(0));
                List<String> stratum = new ArrayList<>();
                for (int p = 0; p < others.size(); p++) {
                    if (r.getByte(2 + 2 * p) == 0) {
                        if (r.isNullAt(1 + 2 * p)) {
                            continue rows; // a value outside the other axis' levels: no stratum of the pure function
                        }
                        AxisLevels b = axes.get(others.get(p));
                        stratum.add(b.name() + "=" + b.levels().get(r.getInt(1 + 2 * p)));
                    }
                }
                String kind = stratum.isEmpty() ? EffectRow.MAIN : EffectRow.CONDITIONAL;
                String label = stratum.isEmpty() ? EffectRow.ALL : String.join(", ", stratum);
                int at = 1 + 2 * others.size();
                for (int n = 0; n < outcomes.size(); n++) {
                    Estimate d = estimate(r.getStruct(at + 3 * n));
                    if (d.n() == 0) {
                        continue;
                    }
                    Outcome x = outcomes.get(n);
                    found.put(key(kind, x, a.name(), level, label, null, null),
                            new EffectRow(kind, x, a.name(), level, a.baseline(), label, null, null, null, d,
                                    r.getStruct(at + 3 * n + 1).getDouble(1), r.getStruct(at + 3 * n + 2).getDouble(1)));
                }
            }
        } finally {
            spark.catalog().dropTempView(view);
        }
    }

    private static void interactions(Dataset<Row> e, List<AxisLevels> axes, int ia, int ib, List<Outcome> outcomes,
                                     Map<String, EffectRow> found) {
        AxisLevels a = axes.get(ia);
        AxisLevels b = axes.get(ib);
        List<String> keys = keys(axes, ia, ib);
        Column la = col("l" + ia);
        Column lb = col("l" + ib);
        // d1 = y(level, b baseline) − y(baseline, b baseline), per a level.
        Dataset<Row> x10 = e.where(la.gt(0).and(lb.equalTo(0))).select(cols(keys, outcomes, "p", la.as("xa")));
        Dataset<Row> x00 = prefixed(e.where(la.equalTo(0).and(lb.equalTo(0))).select(cols(keys, outcomes, "q")), keys, "k_");
        Dataset<Row> d1 = x10.join(x00, joinOn(x10, x00, keys, "k_")).select(diffs(keys, outcomes, "d1_", "p", "q", col("xa")));
        // d2 = y(level, by level) − y(baseline, by level), per a level and b level.
        Dataset<Row> x11 = e.where(la.gt(0).and(lb.gt(0))).select(cols(keys, outcomes, "p", la.as("ya"), lb.as("yb")));
        Dataset<Row> x01 = prefixed(e.where(la.equalTo(0).and(lb.gt(0))).select(cols(keys, outcomes, "q", lb.as("k_yb"))), keys, "k_");
        Dataset<Row> d2 = x11.join(x01, joinOn(x11, x01, keys, "k_").and(x11.col("yb").equalTo(x01.col("k_yb"))))
                .select(diffs(keys, outcomes, "d2_", "p", "q", col("ya"), col("yb")));
        Dataset<Row> d1k = prefixed(d1, keys, "k_");
        Dataset<Row> quads = d2.join(d1k, joinOn(d2, d1k, keys, "k_").and(d2.col("ya").equalTo(d1k.col("xa"))));
        List<Column> aggs = new ArrayList<>();
        for (Outcome x : outcomes) {
            Column q0 = col("d1_" + x.ordinal());
            Column q1 = col("d2_" + x.ordinal());
            aggs.add(moments(both(q0, q1, q1.minus(q0))));
            aggs.add(moments(both(q0, q1, q0)));
            aggs.add(moments(both(q0, q1, q1)));
        }
        for (Row r : quads.groupBy("ya", "yb").agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
                .collectAsList()) {
            String levelA = a.levels().get(r.getInt(0));
            String levelB = b.levels().get(r.getInt(1));
            for (int n = 0; n < outcomes.size(); n++) {
                Estimate d = estimate(r.getStruct(2 + 3 * n));
                if (d.n() == 0) {
                    continue;
                }
                Outcome x = outcomes.get(n);
                found.put(key(EffectRow.INTERACTION, x, a.name(), levelA, EffectRow.ALL, b.name(), levelB),
                        new EffectRow(EffectRow.INTERACTION, x, a.name(), levelA, a.baseline(), EffectRow.ALL, b.name(), levelB,
                                b.baseline(), d, r.getStruct(3 + 3 * n).getDouble(1), r.getStruct(4 + 3 * n).getDouble(1)));
            }
        }
    }

    /** Applies Spark's column moments to a Column expression (not a name). */
    private static Column moments(Column c) {
        return org.apache.spark.sql.functions.call_function(MOMENTS, c);
    }

    private static Column[] cols(List<String> keys, List<Outcome> outcomes, String prefix, Column... extra) {
        List<Column> c = new ArrayList<>();
        keys.forEach(k -> c.add(col(k)));
        c.addAll(List.of(extra));
        outcomes.forEach(x -> c.add(col(o(x)).as(prefix + x.ordinal())));
        return c.toArray(Column[]::new);
    }

    private static Column[] diffs(List<String> keys, List<Outcome> outcomes, String out, String minuend, String subtrahend,
                                  Column... extra) {
        List<Column> c = new ArrayList<>();
        keys.forEach(k -> c.add(col(k)));
        c.addAll(List.of(extra));
        for (Outcome x : outcomes) {
            Column y = col(minuend + x.ordinal());
            Column z = col(subtrahend + x.ordinal());
            c.add(both(z, y, y.minus(z)).as(out + x.ordinal()));
        }
        return c.toArray(Column[]::new);
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
