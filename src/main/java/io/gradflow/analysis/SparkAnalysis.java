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
import java.util.Set;

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
     * A Spark aggregate of a double column that returns its {@link ExactSum} itself (Java-serialized), so that cells
     * aggregated by Spark can be merged further, exactly, on the driver.
     */
    static final class ExactBuffer extends Aggregator<Double, ExactSum, ExactSum> {
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
        public ExactSum finish(ExactSum r) {
            return r;
        }

        @Override
        public Encoder<ExactSum> bufferEncoder() {
            return Encoders.javaSerialization(ExactSum.class);
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
     * {@link Effects#compute} over the normalised frame; {@code values} are the settings' distinct values
     * ({@link #distinctValues}), which map each axis value to its level index. Two joins in all: every trial is
     * paired, for every axis at once, with the trial at the axis' baseline that shares its other settings and
     * seed (the join key is the settings struct with that axis masked); the pairs are summed by Spark per cell (axis,
     * level, every axis' level), exactly, and the driver merges cells into the main and conditional rows. The pairs
     * of axis a are then paired once more, on the settings with a second axis b masked too, b at a level against b
     * at its baseline: the interaction quadruples, summed by Spark per (a, level, b, level).
     */
    static List<EffectRow> effects(SparkSession spark, Dataset<Row> f, List<AxisLevels> axes, Map<String, List<Object>> values) {
        List<Outcome> outcomes = List.of(Outcome.values()).stream().filter(Outcome::key).toList();
        if (axes.isEmpty()) {
            return List.of();
        }
        spark.udf().register(BUFFER, org.apache.spark.sql.functions.udaf(new ExactBuffer(), Encoders.DOUBLE()));
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
        List<Column> levelCols = new ArrayList<>();
        for (int i = 0; i < axes.size(); i++) {
            levelCols.add(col("l" + i));
        }
        // One row per trial and axis: the key is every setting but that axis, and the seed.
        Dataset<Row> exploded = null;
        for (int i = 0; i < axes.size(); i++) {
            List<Column> c = new ArrayList<>();
            c.add(lit(i).as("ax"));
            c.add(maskedKey(e, Set.of(index(axes.get(i).name()))).as("key"));
            c.add(col("l" + i).as("lvl"));
            c.addAll(levelCols);
            outcomes.forEach(x -> c.add(col(o(x))));
            Dataset<Row> d = e.where(col("l" + i).isNotNull()).select(c.toArray(Column[]::new));
            exploded = exploded == null ? d : exploded.unionAll(d);
        }
        List<Column> baseCols = new ArrayList<>(List.of(col("ax").as("b_ax"), col("key").as("b_key")));
        outcomes.forEach(x -> baseCols.add(col(o(x)).as("b" + x.ordinal())));
        Dataset<Row> base = exploded.where(col("lvl").equalTo(0)).select(baseCols.toArray(Column[]::new));
        Dataset<Row> alt = exploded.where(col("lvl").gt(0));
        List<Column> pairCols = new ArrayList<>(List.of(col("ax"), col("key"), col("lvl")));
        pairCols.addAll(levelCols);
        for (Outcome x : outcomes) {
            Column ya = col(o(x));
            Column yb = col("b" + x.ordinal());
            pairCols.add(both(yb, ya, ya.minus(yb)).as("d" + x.ordinal()));
            pairCols.add(both(yb, ya, yb).as("yb" + x.ordinal()));
            pairCols.add(both(yb, ya, ya).as("yl" + x.ordinal()));
        }
        Dataset<Row> pairs = alt.join(base, alt.col("ax").equalTo(base.col("b_ax")).and(alt.col("key").equalTo(base.col("b_key"))))
                .select(pairCols.toArray(Column[]::new)).persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            Map<String, EffectRow> found = new HashMap<>();
            mainAndConditional(pairs, axes, outcomes, levelCols, found);
            if (axes.size() > 1) {
                interactions(pairs, axes, outcomes, found);
            }
            return ordered(axes, outcomes, found);
        } finally {
            pairs.unpersist();
        }
    }

    /** The registered name of {@link ExactBuffer}. */
    static final String BUFFER = "gradflow_exact_buffer";

    private static Column buffer(Column c) {
        return org.apache.spark.sql.functions.call_function(BUFFER, c);
    }

    /** The settings struct (s0.., seed) with the settings in {@code masked} set to null. */
    private static Column maskedKey(Dataset<Row> e, Set<Integer> masked) {
        List<Column> fields = new ArrayList<>();
        for (int i = 0; i < Analysis.SETTINGS.length; i++) {
            fields.add(masked.contains(i) ? lit(null).cast(e.schema().apply(s(i)).dataType()).as(s(i)) : col(s(i)));
        }
        fields.add(col("seed"));
        return org.apache.spark.sql.functions.struct(fields.toArray(Column[]::new));
    }

    private static void mainAndConditional(Dataset<Row> pairs, List<AxisLevels> axes, List<Outcome> outcomes,
                                           List<Column> levelCols, Map<String, EffectRow> found) {
        List<Column> aggs = new ArrayList<>();
        for (Outcome x : outcomes) {
            aggs.add(buffer(col("d" + x.ordinal())));
            aggs.add(buffer(col("yb" + x.ordinal())));
            aggs.add(buffer(col("yl" + x.ordinal())));
        }
        List<Column> group = new ArrayList<>(List.of(col("ax"), col("lvl")));
        group.addAll(levelCols);
        int k = outcomes.size();
        int at = 2 + axes.size();
        // stratum label → 3k exact sums (d, baseline, level per outcome), per (axis, level); merged exactly.
        Map<String, ExactSum[]> strata = new LinkedHashMap<>();
        for (Row r : pairs.groupBy(group.toArray(Column[]::new)).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
                .collectAsList()) {
            int ia = r.getInt(0);
            String prefix = ia + "\u0000" + r.getInt(1) + "\u0000";
            List<String> labels = new ArrayList<>(List.of(EffectRow.ALL));
            List<Integer> others = new ArrayList<>();
            for (int b = 0; b < axes.size(); b++) {
                if (b != ia && !r.isNullAt(2 + b)) {
                    others.add(b);
                }
            }
            for (int p = 0; p < others.size(); p++) {
                labels.add(stratumPart(axes, others.get(p), r));
                for (int q = p + 1; q < others.size(); q++) {
                    labels.add(stratumPart(axes, others.get(p), r) + ", " + stratumPart(axes, others.get(q), r));
                }
            }
            ExactSum[] cell = new ExactSum[3 * k];
            for (int j = 0; j < 3 * k; j++) {
                cell[j] = buffer(r, at + j);
            }
            for (String label : labels) {
                ExactSum[] acc = strata.computeIfAbsent(prefix + label, x -> {
                    ExactSum[] z = new ExactSum[3 * k];
                    for (int j = 0; j < z.length; j++) {
                        z[j] = new ExactSum();
                    }
                    return z;
                });
                for (int j = 0; j < 3 * k; j++) {
                    acc[j].merge(cell[j]);
                }
            }
        }
        strata.forEach((key, acc) -> {
            String[] parts = key.split("\u0000", 3);
            AxisLevels a = axes.get(Integer.parseInt(parts[0]));
            String level = a.levels().get(Integer.parseInt(parts[1]));
            String label = parts[2];
            String kind = label.equals(EffectRow.ALL) ? EffectRow.MAIN : EffectRow.CONDITIONAL;
            for (int n = 0; n < k; n++) {
                Estimate d = Estimate.of(acc[3 * n]);
                if (d.n() == 0) {
                    continue;
                }
                Outcome x = outcomes.get(n);
                found.put(key(kind, x, a.name(), level, label, null, null), new EffectRow(kind, x, a.name(), level,
                        a.baseline(), label, null, null, null, d, acc[3 * n + 1].mean(), acc[3 * n + 2].mean()));
            }
        });
    }

    private static String stratumPart(List<AxisLevels> axes, int b, Row r) {
        AxisLevels x = axes.get(b);
        return x.name() + "=" + x.levels().get(r.getInt(2 + b));
    }

    private static void interactions(Dataset<Row> pairs, List<AxisLevels> axes, List<Outcome> outcomes,
                                     Map<String, EffectRow> found) {
        // The pairs of axis i once per later axis j, keyed by the settings with i and j masked.
        Dataset<Row> byAxis = null;
        for (int i = 0; i < axes.size(); i++) {
            for (int j = i + 1; j < axes.size(); j++) {
                int sj = index(axes.get(j).name());
                org.apache.spark.sql.types.StructType keyType = (org.apache.spark.sql.types.StructType) pairs.schema().apply("key").dataType();
                List<Column> fields = new ArrayList<>();
                for (int t = 0; t < Analysis.SETTINGS.length; t++) {
                    fields.add((t == sj ? lit(null).cast(keyType.apply(s(t)).dataType()) : col("key").getField(s(t))).as(s(t)));
                }
                fields.add(col("key").getField("seed").as("seed"));
                List<Column> c = new ArrayList<>(List.of(col("ax"), lit(j).as("by"),
                        org.apache.spark.sql.functions.struct(fields.toArray(Column[]::new)).as("key2"), col("lvl"),
                        col("l" + j).as("blvl")));
                outcomes.forEach(x -> c.add(col("d" + x.ordinal())));
                Dataset<Row> d = pairs.where(col("ax").equalTo(i).and(col("l" + j).isNotNull())).select(c.toArray(Column[]::new));
                byAxis = byAxis == null ? d : byAxis.unionAll(d);
            }
        }
        List<Column> lowCols = new ArrayList<>(List.of(col("ax").as("q_ax"), col("by").as("q_by"), col("key2").as("q_key2"),
                col("lvl").as("q_lvl")));
        outcomes.forEach(x -> lowCols.add(col("d" + x.ordinal()).as("q" + x.ordinal())));
        Dataset<Row> low = byAxis.where(col("blvl").equalTo(0)).select(lowCols.toArray(Column[]::new));
        Dataset<Row> high = byAxis.where(col("blvl").gt(0));
        Dataset<Row> quads = high.join(low, high.col("ax").equalTo(low.col("q_ax")).and(high.col("by").equalTo(low.col("q_by")))
                .and(high.col("key2").equalTo(low.col("q_key2"))).and(high.col("lvl").equalTo(low.col("q_lvl"))));
        List<Column> aggs = new ArrayList<>();
        for (Outcome x : outcomes) {
            Column q0 = col("q" + x.ordinal()); // y(level, by baseline) − y(baseline, by baseline)
            Column q1 = col("d" + x.ordinal()); // y(level, by level) − y(baseline, by level)
            aggs.add(moments(both(q0, q1, q1.minus(q0))));
            aggs.add(moments(both(q0, q1, q0)));
            aggs.add(moments(both(q0, q1, q1)));
        }
        for (Row r : quads.groupBy("ax", "lvl", "by", "blvl").agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
                .collectAsList()) {
            AxisLevels a = axes.get(r.getInt(0));
            AxisLevels b = axes.get(r.getInt(2));
            String levelA = a.levels().get(r.getInt(1));
            String levelB = b.levels().get(r.getInt(3));
            for (int n = 0; n < outcomes.size(); n++) {
                Estimate d = estimate(r.getStruct(4 + 3 * n));
                if (d.n() == 0) {
                    continue;
                }
                Outcome x = outcomes.get(n);
                found.put(key(EffectRow.INTERACTION, x, a.name(), levelA, EffectRow.ALL, b.name(), levelB),
                        new EffectRow(EffectRow.INTERACTION, x, a.name(), levelA, a.baseline(), EffectRow.ALL, b.name(), levelB,
                                b.baseline(), d, r.getStruct(5 + 3 * n).getDouble(1), r.getStruct(6 + 3 * n).getDouble(1)));
            }
        }
    }

    /** Applies the registered {@link ExactMoments} to a column expression. */
    private static Column moments(Column c) {
        return org.apache.spark.sql.functions.call_function(MOMENTS, c);
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
