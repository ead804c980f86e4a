package io.gradflow.store;

import io.gradflow.trial.CurvePoint;
import io.gradflow.trial.LayerStat;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialSummary;
import io.gradflow.trial.Verdict;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;

/**
 * The sweep's progress journal: Parquet part files under {@code _parts/}, written by the executors. Each task
 * writes the rows of all its trials (their {@code trials} columns, with their {@code layer_stats} and
 * {@code curves} rows nested as arrays) as one file under a hidden temporary name and renames it into place, so
 * a part is either complete or absent, and a batch of trials costs one file. The driver only receives receipts.
 * A retried or speculative task writes a second part for the same trials; every reader resolves such duplicates
 * by trial id, keeping the rows of the part whose path sorts first (all duplicates hold the same statistics,
 * since trials are deterministic). Resuming reads the committed parts' trial ids with Spark; finishing the sweep
 * rewrites the parts into the datasets with Spark jobs and compacts the journal into a few files. Spark skips the
 * names that start with {@code _} or {@code .}, so temporary files and quarantined parts are never read.
 */
public final class Parts {

    /** The journal folder inside the (staging or final) sweep folder. */
    public static final String DIR = "_parts";
    /** Where a resumed sweep moves parts it cannot read (their trials run again). */
    public static final String QUARANTINE = "_corrupt";
    static final String LAYER_STATS = "layer_stats";
    static final String CURVES = "curves";
    /** Trials per file of the compacted journal. */
    static final int TRIALS_PER_COMPACTED_FILE = 20_000;

    private Parts() {
    }

    /** A part row: the {@code trials} columns, then the trial's {@code layer_stats} and {@code curves} rows. */
    public static StructType schema() {
        StructType s = Schemas.TRIALS.schema();
        s = s.add(DataTypes.createStructField(LAYER_STATS, DataTypes.createArrayType(Schemas.LAYER_STATS.schema(), true), true));
        return s.add(DataTypes.createStructField(CURVES, DataTypes.createArrayType(Schemas.CURVES.schema(), true), true));
    }

    // ---------------------------------------------------------------- writing (executor side)

    /** A Hadoop configuration that travels with a task, so executors write with the driver's settings. */
    public static final class Conf implements Serializable {
        private transient Configuration conf;

        public Conf(Configuration conf) {
            this.conf = conf;
        }

        public Configuration get() {
            return conf;
        }

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            conf.write(out);
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            conf = new Configuration(false);
            conf.readFields(in);
        }
    }

    /**
     * The sink that writes a batch of results as one part of {@code partsDir}.
     *
     * @param tag unique among the sweep's part writes (task, attempt and a random suffix): part names never collide
     */
    public static ResultSink sink(String sweep, String partsDir, Conf conf, String tag) {
        return results -> {
            write(conf.get(), new Path(partsDir), sweep, results, tag);
            List<TrialReceipt> out = new ArrayList<>(results.size());
            for (TrialResult r : results) {
                TrialSummary s = r.summary();
                out.add(new TrialReceipt(r.trialId(), s.verdict(), s.config().estimatedCost(), s.wallTimeMs(),
                        s.provenance().executorId()));
            }
            return out;
        };
    }

    /**
     * Writes and deletes an empty part in a fresh local temporary folder: what the first commit of a JVM costs beyond
     * the later ones (loading the Parquet writer's and Hadoop's classes, about a second; 30 to 70 ms after), paid once
     * per executor before its first task needs it. A failure only means the first commit pays it; it is returned, not
     * thrown.
     *
     * @return null, or why the warm-up did not complete
     */
    public static Exception warmUp() {
        Configuration conf = new Configuration();
        Path dir = null;
        try {
            dir = new Path(java.nio.file.Files.createTempDirectory("gradflow-warm-up").toUri());
            write(conf, dir, "warm-up", List.of(), "warm-up");
            return null;
        } catch (Exception | LinkageError e) {
            return e instanceof Exception x ? x : new IllegalStateException(e);
        } finally {
            // the part, its checksum and the folder
            if (dir != null) {
                try {
                    FileSystem.getLocal(conf).delete(dir, true);
                } catch (IOException e) {
                    // left in the temporary folder: nothing depends on it
                }
            }
        }
    }

    /** Writes one part: to a hidden name first, renamed once closed. Returns the committed part. */
    static Path write(Configuration conf, Path dir, String sweep, List<TrialResult> results, String tag) {
        Path tmp = new Path(dir, ".part-" + tag + ".tmp");
        Path target = new Path(dir, "part-" + tag + ".parquet");
        StructType trials = Schemas.TRIALS.schema();
        int width = trials.fields().length;
        try {
            FileSystem fs = dir.getFileSystem(conf);
            try (ParquetWriter<Row> w = LocalParquet.writer(conf, tmp, "gradflow_part", schema(),
                    LocalParquet.Timestamps.MICROS, null)) {
                for (TrialResult r : results) {
                    Row t = Schemas.TRIALS.toRow(new Schemas.SweepTrial(sweep, r.summary()));
                    Object[] v = new Object[width + 2];
                    for (int i = 0; i < width; i++) {
                        v[i] = t.get(i);
                    }
                    List<Row> ls = new ArrayList<>(r.layerStats().size());
                    for (LayerStat l : r.layerStats()) {
                        ls.add(Schemas.LAYER_STATS.toRow(l));
                    }
                    List<Row> cs = new ArrayList<>(r.curve().size());
                    for (CurvePoint c : r.curve()) {
                        cs.add(Schemas.CURVES.toRow(c));
                    }
                    v[width] = ls;
                    v[width + 1] = cs;
                    w.write(org.apache.spark.sql.RowFactory.create(v));
                }
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename to " + target + " returned false");
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not commit the results of " + results.size() + " trials to " + target, e);
        }
    }

    // ---------------------------------------------------------------- reading (driver side, with Spark)

    /**
     * What the committed parts hold, counted once per trial.
     *
     * @param ids         the trial ids, as unsigned 64-bit numbers (16 hex digits), sorted and distinct
     * @param verdicts    trials per verdict
     * @param executors   the executors that ran them
     * @param quarantined parts that could not be read and were moved to {@code _parts/_corrupt/}
     */
    public record Committed(long[] ids, Map<Verdict, Integer> verdicts, Set<String> executors, List<String> quarantined) {

        /** True when {@code trialId} has a committed row. */
        public boolean contains(String trialId) {
            return Arrays.binarySearch(ids, id(trialId)) >= 0;
        }

        public int size() {
            return ids.length;
        }

        /** Distinct trials in the journal (their ids may not have been collected: {@link #committed}). */
        public int trials() {
            return verdicts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** A trial id as the number its 16 hex digits spell. */
    public static long id(String trialId) {
        return Long.parseUnsignedLong(trialId, 16);
    }

    /** The part files of {@code partsDir} (not the hidden or quarantined ones); none when it does not exist. */
    public static List<Path> list(FileSystem fs, Path partsDir) {
        List<Path> out = new ArrayList<>();
        try {
            if (!fs.exists(partsDir)) {
                return out;
            }
            for (FileStatus st : fs.listStatus(partsDir)) {
                String n = st.getPath().getName();
                if (st.isFile() && n.endsWith(".parquet") && !n.startsWith(".") && !n.startsWith("_")) {
                    out.add(st.getPath());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list the progress journal " + partsDir, e);
        }
        return out;
    }

    /**
     * Trials in the committed parts, from their footers alone (no Spark): what an interrupted sweep has kept on disk,
     * which can be more than the driver has receipts for, since a task may commit and then be cancelled before its
     * result arrives. A part that cannot be read counts 0; a retried task's duplicate part would count twice.
     */
    public static long committedRows(Configuration conf, Path partsDir) {
        long n = 0;
        try {
            for (Path p : list(partsDir.getFileSystem(conf), partsDir)) {
                try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                        org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(p, conf))) {
                    n += r.getRecordCount();
                } catch (IOException | RuntimeException e) {
                    // an unreadable part keeps nothing; resume quarantines it
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
        return n;
    }

    private static Dataset<Row> read(SparkSession spark, Path partsDir, boolean ignoreCorrupt) {
        // The schema is given, so Spark reads no footer on the driver; the files are read by tasks. The glob names
        // committed parts only, and keeps Spark from ignoring the folder itself for its leading underscore.
        return spark.read().schema(schema()).option("ignoreCorruptFiles", Boolean.toString(ignoreCorrupt))
                .parquet(new Path(partsDir, "part-*.parquet").toString());
    }

    /**
     * The trial ids of the committed parts, one row each (a retried task's duplicate part gives a duplicate row), as a
     * dataset Spark reads on the executors: what a distributed grid's anti-join skips.
     */
    public static Dataset<Row> trialIds(SparkSession spark, Path partsDir) {
        return read(spark, partsDir, false).select("trial_id");
    }

    /**
     * Reads which trials the committed parts hold, with Spark. With {@code quarantine}, parts that cannot be read
     * (truncated, corrupt) are first found, by which files yield no rows, and moved to {@code _parts/_corrupt/}:
     * their trials then count as not done and run again.
     */
    public static Committed committed(SparkSession spark, FileSystem fs, Path partsDir, boolean quarantine) {
        return committed(spark, fs, partsDir, quarantine, true);
    }

    /**
     * As {@link #committed(SparkSession, FileSystem, Path, boolean)}; without {@code withIds} the ids are not
     * collected to the driver ({@link Committed#ids()} is empty, {@link Committed#trials()} still counts them).
     */
    public static Committed committed(SparkSession spark, FileSystem fs, Path partsDir, boolean quarantine,
                                      boolean withIds) {
        List<Path> files = list(fs, partsDir);
        List<String> moved = new ArrayList<>();
        if (files.isEmpty()) {
            return new Committed(new long[0], new EnumMap<>(Verdict.class), Set.of(), moved);
        }
        if (quarantine) {
            Set<String> readable = new HashSet<>();
            for (Row r : read(spark, partsDir, true).select(input_file_name().as("f")).distinct().collectAsList()) {
                readable.add(new Path(r.getString(0)).getName());
            }
            Path q = new Path(partsDir, QUARANTINE);
            try {
                for (Path p : files) {
                    if (!readable.contains(p.getName())) {
                        fs.mkdirs(q);
                        if (!fs.rename(p, new Path(q, p.getName()))) {
                            throw new IOException("rename of " + p + " returned false");
                        }
                        moved.add(p.getName());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not move an unreadable part out of " + partsDir, e);
            }
            if (moved.size() == files.size()) {
                return new Committed(new long[0], new EnumMap<>(Verdict.class), Set.of(), moved);
            }
        }
        Dataset<Row> parts = read(spark, partsDir, false).select("trial_id", "verdict", "executor_id");
        Dataset<Row> once = parts.dropDuplicates("trial_id");
        Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
        for (Row r : once.groupBy("verdict").count().collectAsList()) {
            verdicts.put(Verdict.valueOf(r.getString(0)), (int) r.getLong(1));
        }
        Set<String> executors = new TreeSet<>();
        parts.select("executor_id").distinct().collectAsList().forEach(r -> executors.add(r.getString(0)));
        int n = verdicts.values().stream().mapToInt(Integer::intValue).sum();
        if (!withIds) {
            return new Committed(new long[0], verdicts, executors, moved);
        }
        long[] ids = new long[n];
        int k = 0;
        // Streamed, not collected: a million ids cost 8 MB here instead of a list of strings.
        Iterator<Row> it = once.select("trial_id").toLocalIterator();
        while (it.hasNext()) {
            ids[k++] = id(it.next().getString(0));
        }
        Arrays.sort(ids);
        return new Committed(ids, verdicts, executors, moved);
    }

    /**
     * The committed parts with duplicates (retried or speculative tasks) resolved, and the row counts of the
     * datasets they make.
     *
     * @param rows   one row per trial
     * @param counts what {@link #counts} gives for {@code rows}
     */
    public record Unique(Dataset<Row> rows, Counts counts) {
    }

    /**
     * One row per trial: the committed parts with duplicates resolved, with their counts. Without duplicates (the
     * usual case) one aggregation over the parts gives both the check and the counts; a journal with duplicates
     * keeps each trial's row from its first part (by file name) and counts again.
     */
    public static Unique unique(SparkSession spark, Path partsDir) {
        Dataset<Row> all = read(spark, partsDir, false);
        Row r = all.agg(org.apache.spark.sql.functions.count("*"),
                org.apache.spark.sql.functions.countDistinct(col("trial_id")),
                sum(size(col(LAYER_STATS))), sum(size(col(CURVES)))).first();
        long rows = r.getLong(0);
        if (rows == r.getLong(1)) {
            return new Unique(all, new Counts(rows, r.isNullAt(2) ? 0 : r.getLong(2), r.isNullAt(3) ? 0 : r.getLong(3)));
        }
        Dataset<Row> tagged = all.withColumn("_part", input_file_name());
        Dataset<Row> keep = tagged.groupBy("trial_id").agg(min("_part").as("_part"));
        Dataset<Row> once = tagged.join(keep,
                scala.collection.JavaConverters.asScalaBuffer(List.of("trial_id", "_part")).toSeq(), "left_semi")
                .drop("_part");
        return new Unique(once, counts(once));
    }

    // ---------------------------------------------------------------- small journals, on the driver

    /**
     * The Spark setting that says up to how many rows (trials, their layer_stats and curve rows, by the footers) a
     * finished journal is read back and its datasets written on the driver, without Spark jobs:
     * {@value #DEFAULT_DRIVER_MAX_ROWS} by default (a few hundred MB of driver heap at most), 0 for always Spark.
     * The analysis reads its datasets on the driver under the same bound.
     */
    public static final String DRIVER_MAX_ROWS_CONF = "spark.gradflow.finish.driverMaxRows";
    static final long DEFAULT_DRIVER_MAX_ROWS = 500_000;
    private static final String[] NESTED_LEAVES = {LAYER_STATS + ".list.element.step", CURVES + ".list.element.step"};

    /** The session's {@link #DRIVER_MAX_ROWS_CONF}. */
    public static long driverMaxRows(SparkSession spark) {
        return Settings.count(spark, DRIVER_MAX_ROWS_CONF, DEFAULT_DRIVER_MAX_ROWS, "rows");
    }

    /**
     * The rows a journal's datasets would hold, from the parts' footers alone: trials (a duplicate part counted
     * again) plus their layer_stats and curve rows. The same trials give the same number however tasks grouped them.
     */
    public static long footerRows(Configuration conf, Path partsDir) {
        try {
            LocalParquet.FooterCount c = LocalParquet.count(conf, list(partsDir.getFileSystem(conf), partsDir), NESTED_LEAVES);
            return c.rows() + c.values();
        } catch (IOException e) {
            throw new UncheckedIOException("could not list the progress journal " + partsDir, e);
        }
    }

    /**
     * Whether the journal at {@code partsDir} is small enough to finish on the driver ({@link #DRIVER_MAX_ROWS_CONF},
     * counted from the footers) and the session writes Parquet as {@link LocalParquet} does: the settings to write
     * with, or empty for Spark.
     */
    public static java.util.Optional<LocalParquet.Settings> finishesOnDriver(SparkSession spark, Path partsDir) {
        long max = driverMaxRows(spark);
        if (max == 0) {
            return java.util.Optional.empty();
        }
        java.util.Optional<LocalParquet.Settings> s = LocalParquet.Settings.of(spark);
        if (s.isEmpty()) {
            return s;
        }
        return footerRows(spark.sparkContext().hadoopConfiguration(), partsDir) <= max ? s : java.util.Optional.empty();
    }

    /**
     * The committed parts read on the driver, duplicates resolved as {@link #unique} resolves them.
     *
     * @param rows     one part row per trial, sorted by trial id (their layer_stats and curves as lists of rows)
     * @param counts   the rows each dataset will hold
     * @param partRows rows in the parts, duplicates included
     */
    public record LocalUnique(List<Row> rows, Counts counts, long partRows) {
    }

    /** Reads every committed part on the driver: {@link #unique} without a Spark job, for small journals. */
    public static LocalUnique uniqueLocal(Configuration conf, Path partsDir) {
        List<Path> files;
        try {
            files = list(partsDir.getFileSystem(conf), partsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not list the progress journal " + partsDir, e);
        }
        files.sort(null); // a trial in two parts keeps the rows of the part whose path sorts first, as unique() does
        StructType schema = schema();
        int id = schema.fieldIndex("trial_id");
        int ls = schema.fieldIndex(LAYER_STATS);
        int cs = schema.fieldIndex(CURVES);
        Map<String, Row> byId = new java.util.TreeMap<>();
        long partRows = 0;
        long layerStats = 0;
        long curves = 0;
        for (Path f : files) {
            for (Row r : LocalParquet.read(conf, f, schema)) {
                partRows++;
                if (byId.putIfAbsent(r.getString(id), r) == null) {
                    layerStats += r.isNullAt(ls) ? 0 : ((List<?>) r.get(ls)).size();
                    curves += r.isNullAt(cs) ? 0 : ((List<?>) r.get(cs)).size();
                }
            }
        }
        return new LocalUnique(new ArrayList<>(byId.values()), new Counts(byId.size(), layerStats, curves), partRows);
    }

    /**
     * Writes trials, layer_stats and curves from parts read on the driver, by {@link LocalParquet}: the rows
     * {@link #writeDatasets} writes with Spark, in the same order and as many files (Spark's range partitions may
     * put a file boundary a few rows elsewhere; every file still holds a contiguous, sorted range).
     */
    public static Counts writeDatasetsLocal(LocalUnique u, Function<String, String> target, Configuration conf,
                                            LocalParquet.Settings settings) {
        StructType trials = Schemas.TRIALS.schema();
        int width = trials.fields().length;
        List<Row> trialRows = new ArrayList<>(u.rows().size());
        List<Row> statRows = new ArrayList<>((int) u.counts().layerStats());
        List<Row> curveRows = new ArrayList<>((int) u.counts().curves());
        int ls = schema().fieldIndex(LAYER_STATS);
        int cs = schema().fieldIndex(CURVES);
        for (Row r : u.rows()) { // sorted by trial id
            Object[] v = new Object[width];
            for (int i = 0; i < width; i++) {
                v[i] = r.get(i);
            }
            trialRows.add(new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(v, trials));
            addNested(statRows, r, ls);
            addNested(curveRows, r, cs);
        }
        // Within a trial: by step, then block, as Spark's sort (trial_id, step, block) orders them.
        statRows.sort(java.util.Comparator.comparing((Row r) -> r.getString(0)).thenComparingInt(r -> r.getInt(1))
                .thenComparingInt(r -> r.getInt(2)));
        curveRows.sort(java.util.Comparator.comparing((Row r) -> r.getString(0)).thenComparingInt(r -> r.getInt(1)));
        // Every column nullable, as Spark writes columns it read from files.
        writeLocal(conf, target.apply(Schemas.TRIALS.name()), trials.asNullable(), trialRows, settings);
        writeLocal(conf, target.apply(Schemas.LAYER_STATS.name()), Schemas.LAYER_STATS.schema().asNullable(), statRows, settings);
        writeLocal(conf, target.apply(Schemas.CURVES.name()), Schemas.CURVES.schema().asNullable(), curveRows, settings);
        return u.counts();
    }

    private static void addNested(List<Row> out, Row r, int field) {
        if (!r.isNullAt(field)) {
            for (Object e : (List<?>) r.get(field)) {
                out.add((Row) e);
            }
        }
    }

    private static void writeLocal(Configuration conf, String path, StructType schema, List<Row> rows,
                                   LocalParquet.Settings settings) {
        int files = (int) Math.max(1, (rows.size() + (long) DatasetWriter.ROWS_PER_FILE - 1) / DatasetWriter.ROWS_PER_FILE);
        LocalParquet.writeDataset(conf, new Path(path), schema, rows, files, settings);
    }

    /**
     * {@link #compact} for a journal read on the driver: the unique rows are added as new files first, then the old
     * parts deleted, so a crash in between leaves duplicates, never a lost trial.
     */
    public static void compactLocal(Configuration conf, Path partsDir, LocalUnique u, String sparkVersion) {
        try {
            FileSystem fs = partsDir.getFileSystem(conf);
            List<Path> old = list(fs, partsDir);
            long trials = u.counts().trials();
            int files = (int) Math.max(1, (trials + TRIALS_PER_COMPACTED_FILE - 1) / TRIALS_PER_COMPACTED_FILE);
            if (old.size() <= files && u.partRows() == trials) {
                return; // already one row per trial in at most as many files as compaction would write
            }
            LocalParquet.writeFiles(conf, partsDir, schema(), u.rows(), files,
                    new LocalParquet.Settings(sparkVersion, LocalParquet.Timestamps.MICROS));
            for (Path p : old) {
                fs.delete(p, false);
            }
            clearHidden(fs, partsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not compact the progress journal " + partsDir, e);
        }
    }

    /**
     * Row counts of the datasets the parts make.
     *
     * @param trials     trials (one row each)
     * @param layerStats their layer_stats rows
     * @param curves     their curve rows
     */
    public record Counts(long trials, long layerStats, long curves) {
    }

    /** How many rows each dataset must hold for the given unique parts. */
    public static Counts counts(Dataset<Row> unique) {
        Row r = unique.agg(org.apache.spark.sql.functions.count("*"), sum(size(col(LAYER_STATS))), sum(size(col(CURVES))))
                .first();
        return new Counts(r.getLong(0), r.isNullAt(1) ? 0 : r.getLong(1), r.isNullAt(2) ? 0 : r.getLong(2));
    }

    /** The rows of one dataset, {@code trials}, {@code layer_stats} or {@code curves}, from unique parts. */
    public static Dataset<Row> dataset(Dataset<Row> unique, Table<?> table) {
        Column[] cols = table.columnNames().stream().map(c -> col(c)).toArray(Column[]::new);
        if (table == Schemas.TRIALS) {
            return unique.select(cols);
        }
        String nested = table == Schemas.LAYER_STATS ? LAYER_STATS : CURVES;
        Column[] inner = table.columnNames().stream().map(c -> col("r." + c).as(c)).toArray(Column[]::new);
        return unique.select(explode(col(nested)).as("r")).select(inner);
    }

    /**
     * Writes trials, layer_stats and curves from the unique parts with Spark, each sorted (trial, step, block) and in
     * files of at most 50,000 rows, to the paths {@code target} gives. Returns the rows written. The three are
     * independent Spark jobs submitted from three driver threads at once: for a small sweep each is mostly the
     * driver's planning and a few small stages, which one thread ran one after another (about 2 s of the quick
     * grid's end to end, 0.7 s from three threads; BENCHMARKS.md). A failure of any one fails the call, after all
     * three have ended.
     */
    public static Counts writeDatasets(Unique u, Function<String, String> target) {
        Dataset<Row> unique = u.rows();
        Counts n = u.counts();
        List<Runnable> writes = List.of(
                () -> write(dataset(unique, Schemas.TRIALS), n.trials(), target.apply(Schemas.TRIALS.name()), "trial_id"),
                () -> write(dataset(unique, Schemas.LAYER_STATS), n.layerStats(),
                        target.apply(Schemas.LAYER_STATS.name()), "trial_id", "step", "block"),
                () -> write(dataset(unique, Schemas.CURVES), n.curves(), target.apply(Schemas.CURVES.name()),
                        "trial_id", "step"));
        // Threads made here inherit the caller's Spark local properties (job group, scheduler pool).
        ExecutorService pool = Executors.newFixedThreadPool(writes.size(), r -> {
            Thread t = new Thread(r, "gradflow-dataset-write");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Runnable w : writes) {
                done.add(pool.submit(w));
            }
            RuntimeException first = null;
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err; // out of memory, a linkage error: as if the write had run on this thread
                    }
                    RuntimeException r = e.getCause() instanceof RuntimeException re ? re
                            : new IllegalStateException("a dataset write failed: " + e.getCause(), e.getCause());
                    if (first == null) {
                        first = r;
                    } else {
                        first.addSuppressed(r);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while the datasets were written", e);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdownNow();
        }
        return n;
    }

    private static void write(Dataset<Row> rows, long count, String path, String... order) {
        int files = (int) Math.max(1, (count + DatasetWriter.ROWS_PER_FILE - 1) / DatasetWriter.ROWS_PER_FILE);
        Column[] by = Arrays.stream(order).map(c -> col(c)).toArray(Column[]::new);
        // Range partitions sorted within: every file holds a contiguous, sorted range of trials.
        rows.repartitionByRange(files, by).sortWithinPartitions(by).write().mode(SaveMode.ErrorIfExists).parquet(path);
    }

    /**
     * Rewrites the journal as a few files of one row per trial: the unique rows are appended as new files first,
     * then the old parts are deleted, so a crash in between leaves duplicates (resolved by every reader), never a
     * lost trial. Does nothing when the journal is already compact. {@code unique} must not be used afterwards.
     */
    public static void compact(FileSystem fs, Path partsDir, Dataset<Row> unique, long trials) {
        List<Path> old = list(fs, partsDir);
        int files = (int) Math.max(1, (trials + TRIALS_PER_COMPACTED_FILE - 1) / TRIALS_PER_COMPACTED_FILE);
        if (old.size() <= files) {
            long rows = read(unique.sparkSession(), partsDir, false).count();
            if (rows == trials) {
                return; // already one row per trial in at most as many files as compaction would write
            }
        }
        unique.repartitionByRange(files, col("trial_id")).sortWithinPartitions("trial_id").write().mode(SaveMode.Append)
                .parquet(partsDir.toString());
        try {
            for (Path p : old) {
                fs.delete(p, false);
            }
            clearHidden(fs, partsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove the compacted parts of " + partsDir, e);
        }
    }

    /** Removes what writers leave beside the parts: temporary files of killed tasks, Spark's _SUCCESS marker. */
    public static void clearHidden(FileSystem fs, Path partsDir) throws IOException {
        if (!fs.exists(partsDir)) {
            return;
        }
        for (FileStatus st : fs.listStatus(partsDir)) {
            String n = st.getPath().getName();
            // Hadoop's local checksum files (".NAME.crc") belong to live parts and go with them.
            boolean leftover = n.startsWith(".") ? n.contains(".tmp") : n.startsWith("_") && !n.equals(QUARANTINE);
            if (leftover) {
                fs.delete(st.getPath(), true);
            }
        }
    }
}
