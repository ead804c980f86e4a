package io.gradflow.analysis;

import io.gradflow.grid.Axis;
import io.gradflow.store.LocalParquet;
import io.gradflow.store.Parts;
import io.gradflow.store.Schemas;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small sweep's datasets read on the driver by {@link LocalParquet}, without a Spark job: the input of the pure
 * functions ({@link Comparison}, {@link Effects}, {@link Profiles}) for sweeps within
 * {@link Analysis#DRIVER_MAX_TRIALS_CONF} trials and {@link Parts#DRIVER_MAX_ROWS_CONF} rows. Its trial rows are
 * the ones {@link SparkAnalysis#frame} over {@link Analysis#trialsFrame} gives (older datasets' missing columns
 * filled the same way, outcomes cast to double and kept only when finite); AnalysisIT compares the two.
 */
final class DriverSweep {

    private final List<Row> raw;
    private final List<TrialRow> trials;
    private final Configuration conf;
    private final FileSystem fs;
    private final Path dir;

    private DriverSweep(List<Row> raw, List<TrialRow> trials, Configuration conf, FileSystem fs, Path dir) {
        this.raw = raw;
        this.trials = trials;
        this.conf = conf;
        this.fs = fs;
        this.dir = dir;
    }

    /**
     * The settings to write the derived datasets with when the sweep in {@code dir} is small enough to analyse on
     * the driver; empty for Spark. Counted from the footers: trials, then layer_stats and curves rows.
     */
    static java.util.Optional<LocalParquet.Settings> settings(SparkSession spark, Configuration conf, FileSystem fs, Path dir) {
        long maxTrials = Analysis.driverMaxTrials(spark);
        long maxRows = Parts.driverMaxRows(spark);
        java.util.Optional<LocalParquet.Settings> s = LocalParquet.Settings.of(spark);
        if (maxTrials == 0 || maxRows == 0 || s.isEmpty()) {
            return java.util.Optional.empty();
        }
        long trials = rows(conf, fs, new Path(dir, Schemas.TRIALS.name()));
        if (trials > maxTrials) {
            return java.util.Optional.empty();
        }
        long all = trials + rows(conf, fs, new Path(dir, Schemas.LAYER_STATS.name()))
                + rows(conf, fs, new Path(dir, Schemas.CURVES.name()));
        return all <= maxRows ? s : java.util.Optional.empty();
    }

    private static long rows(Configuration conf, FileSystem fs, Path dataset) {
        try {
            return fs.exists(dataset) ? LocalParquet.count(conf, LocalParquet.dataFiles(fs, dataset)).rows() : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + dataset, e);
        }
    }

    /**
     * Reads the trials dataset of {@code dir}.
     *
     * @throws IllegalArgumentException naming the path and the first missing column when it is not a trials dataset,
     *                                  as {@link Analysis#trialsFrame} does
     */
    static DriverSweep read(Configuration conf, FileSystem fs, Path dir) {
        Path path = new Path(dir, Schemas.TRIALS.name());
        List<Path> files;
        try {
            files = LocalParquet.dataFiles(fs, path);
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + path, e);
        }
        StructType schema = files.isEmpty() ? Schemas.TRIALS.schema() : LocalParquet.schemaOf(conf, files.get(0));
        Set<String> present = new HashSet<>(Arrays.asList(schema.fieldNames()));
        // The defaults trialsFrame gives older datasets: residual_form from the boolean residual, no clipping, no
        // pretraining, no early stop.
        Set<String> defaulted = new HashSet<>();
        if (!present.contains("residual_form") && present.contains("residual")) {
            defaulted.add("residual_form");
        }
        defaulted.addAll(List.of("clip", "pretrain", "stopped_at_step", "clipped_share"));
        List<String> need = new ArrayList<>(List.of("trial_id", "combination_id", "seed", "verdict", "error_message",
                "error_stack", "wall_time_ms"));
        for (String s : Analysis.SETTINGS) {
            need.add(Analysis.settingColumn(s));
        }
        Arrays.stream(Outcome.values()).forEach(o -> need.add(o.column()));
        for (String c : need) {
            if (!present.contains(c) && !defaulted.contains(c)) {
                throw new IllegalArgumentException(path + " is not a gradflow trials dataset: it has no column '" + c + "'");
            }
        }
        List<Row> raw = new ArrayList<>();
        for (Path f : files) {
            raw.addAll(LocalParquet.read(conf, f, schema));
        }
        List<TrialRow> rows = new ArrayList<>(raw.size());
        for (Row r : raw) {
            rows.add(trialRow(r, present));
        }
        rows.sort(Comparator.comparing(TrialRow::trialId));
        return new DriverSweep(raw, rows, conf, fs, dir);
    }

    private static TrialRow trialRow(Row r, Set<String> present) {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (String s : Analysis.SETTINGS) {
            String c = Analysis.settingColumn(s);
            Object v;
            if (present.contains(c)) {
                v = r.get(r.fieldIndex(c));
            } else if (c.equals("residual_form")) {
                Object b = r.get(r.fieldIndex("residual"));
                v = b == null ? null : String.valueOf(b); // Spark's cast of a boolean to string: "true" / "false"
            } else {
                v = "none"; // clip, pretrain
            }
            settings.put(s, v);
        }
        double[] out = new double[Outcome.values().length];
        for (Outcome x : Outcome.values()) {
            Object v = r.get(r.fieldIndex(x.column()));
            double d = v == null ? Double.NaN : v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
            out[x.ordinal()] = Double.isFinite(d) ? d : Double.NaN;
        }
        Integer stop = present.contains("stopped_at_step") ? (Integer) r.get(r.fieldIndex("stopped_at_step")) : null;
        return new TrialRow(r.getString(r.fieldIndex("trial_id")), r.getString(r.fieldIndex("combination_id")), settings,
                ((Number) r.get(r.fieldIndex("seed"))).longValue(), r.getString(r.fieldIndex("verdict")),
                r.getString(r.fieldIndex("error_message")), r.getString(r.fieldIndex("error_stack")), out,
                ((Number) r.get(r.fieldIndex("wall_time_ms"))).longValue(), stop == null ? -1 : stop);
    }

    /** The trial rows, sorted by trial id. */
    List<TrialRow> trials() {
        return trials;
    }

    /** The sweep's name: the {@code sweep} column of its first row, or the folder's name. */
    String sweepName() {
        if (raw.isEmpty() || !Arrays.asList(raw.get(0).schema().fieldNames()).contains("sweep")) {
            return dir.getName();
        }
        return raw.get(0).getString(raw.get(0).fieldIndex("sweep"));
    }

    /** The distinct values of the {@code dataset} column, in Spark's ascending order (null first). */
    List<String> datasets() {
        TreeSet<String> out = new TreeSet<>(Comparator.nullsFirst(Comparator.naturalOrder()));
        for (Row r : raw) {
            out.add(r.getString(r.fieldIndex("dataset")));
        }
        return new ArrayList<>(out);
    }

    /** {@link Analysis#deltaProfiles} over the rows read here: {@link Profiles#meanLog10Delta}. */
    Map<String, Profiles.Profile> deltaProfiles() {
        Path p = new Path(dir, Schemas.LAYER_STATS.name());
        if (!exists(p)) {
            return new LinkedHashMap<>();
        }
        StructType cols = new StructType().add("trial_id", DataTypes.StringType).add("step", DataTypes.IntegerType)
                .add("delta_norm", DataTypes.DoubleType).add("delta_out_norm", DataTypes.DoubleType)
                .add("block", DataTypes.IntegerType);
        List<Row> rows = LocalParquet.readDataset(conf, p, cols);
        Map<String, Integer> last = new HashMap<>();
        for (Row r : rows) {
            last.merge(r.getString(0), r.getInt(1), Math::max);
        }
        // A rezero net's profiles show the residual stream's δ, as Analysis.deltaProfiles does.
        Set<String> onStream = new HashSet<>();
        for (TrialRow t : trials) {
            if ("rezero".equals(t.settings().get(Axis.RESIDUAL.key()))) {
                onStream.add(t.trialId());
            }
        }
        List<Profiles.BlockDelta> deltas = new ArrayList<>();
        for (Row r : rows) {
            String id = r.getString(0);
            int step = r.getInt(1);
            int lastStep = last.get(id);
            if (step != 0 && step != lastStep) {
                continue;
            }
            int k = onStream.contains(id) ? 3 : 2;
            if (!r.isNullAt(k)) {
                deltas.add(new Profiles.BlockDelta(id, step == lastStep && step > 0, r.getInt(4), r.getDouble(k)));
            }
        }
        return Profiles.meanLog10Delta(trials, deltas);
    }

    /** {@link Analysis#lossCurves} over the rows read here: {@link Profiles#meanLoss}. */
    Map<String, TreeMap<Integer, Double>> lossCurves() {
        Path p = new Path(dir, Schemas.CURVES.name());
        if (!exists(p)) {
            return new LinkedHashMap<>();
        }
        StructType cols = new StructType().add("trial_id", DataTypes.StringType).add("step", DataTypes.IntegerType)
                .add("train_loss", DataTypes.DoubleType);
        List<Profiles.LossPoint> points = new ArrayList<>();
        for (Row r : LocalParquet.readDataset(conf, p, cols)) {
            if (!r.isNullAt(2)) {
                points.add(new Profiles.LossPoint(r.getString(0), r.getInt(1), r.getDouble(2)));
            }
        }
        return Profiles.meanLoss(trials, points);
    }

    private boolean exists(Path p) {
        try {
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("could not check " + p, e);
        }
    }
}
