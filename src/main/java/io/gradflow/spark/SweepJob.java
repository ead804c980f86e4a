package io.gradflow.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.analysis.Analysis;
import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.data.Fingerprint;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridDiff;
import io.gradflow.grid.GridException;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.store.DatasetWriter;
import io.gradflow.store.Journal;
import io.gradflow.store.Schemas;
import io.gradflow.store.SweepDir;
import io.gradflow.trial.CurvePoint;
import io.gradflow.trial.LayerStat;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.Verdict;
import io.gradflow.trial.Versions;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The sweep on Spark, and nothing else: expand the grid, build the data once and broadcast it, run one task per
 * missing trial (longest first, all in one job so no wave waits for its slowest trial), record each result in
 * the progress journal the moment it reaches the driver, then write the datasets, the grid and a manifest. No
 * statistics are computed here.
 */
public final class SweepJob {

    /** Spark setting naming trial ids that must fail on purpose ("all" for every trial): a test hook. */
    public static final String INJECT_FAIL_CONF = "spark.gradflow.inject.fail";
    /** Spark setting naming trial ids whose task must crash outside the trial ("all" for every trial): a test hook. */
    public static final String INJECT_CRASH_CONF = "spark.gradflow.inject.crash";

    private SweepJob() {
    }

    /** How to treat an existing sweep of the same name. */
    public enum Mode {
        /** Refuse if it exists. */
        NEW,
        /** Replace it once the new sweep is written. */
        OVERWRITE,
        /** Run only the trials without a result; the grid must be unchanged. */
        RESUME,
        /** Like RESUME, but the grid may add trials (new axis values or seeds). */
        EXTEND
    }

    /** Runs a new sweep, or replaces an existing one when {@code overwrite}. */
    public static SweepOutcome run(SparkSession spark, GridSpec spec, String out, boolean overwrite, PrintStream progress) {
        return run(spark, spec, out, overwrite ? Mode.OVERWRITE : Mode.NEW, progress);
    }

    /**
     * Runs a sweep.
     *
     * @param spark    the session (its master decides where tasks run)
     * @param spec     the validated grid
     * @param out      parent folder of the sweep folder (any Hadoop path)
     * @param mode     what to do with an existing sweep of the same name
     * @param progress where progress lines go (null for none)
     */
    public static SweepOutcome run(SparkSession spark, GridSpec spec, String out, Mode mode, PrintStream progress) {
        return run(spark, spec, out, mode, progress, null);
    }

    /**
     * Runs a sweep that a signal may interrupt: {@code interrupts} cancels the running Spark job, and the sweep
     * then returns at once, {@link SweepOutcome#interrupted()}, with every finished trial in the journal.
     *
     * @param interrupts the installed signal handling, or null for none
     */
    public static SweepOutcome run(SparkSession spark, GridSpec spec, String out, Mode mode, PrintStream progress,
                                   Interrupts interrupts) {
        long t0 = System.currentTimeMillis();
        List<TrialConfig> trials = new ArrayList<>(Grid.expand(spec));
        SweepDir.Mode dirMode = switch (mode) {
            case NEW -> SweepDir.Mode.NEW;
            case OVERWRITE -> SweepDir.Mode.OVERWRITE;
            case RESUME, EXTEND -> SweepDir.Mode.RESUME;
        };
        SweepDir dir = SweepDir.open(out, spec.name(), dirMode, spark.sparkContext().hadoopConfiguration());

        // What earlier runs finished, and whether this grid may continue them: all checked before any change.
        Map<String, TrialResult> done = new LinkedHashMap<>();
        if (interrupts != null) {
            interrupts.attach(spark);
            interrupts.track(trials.size(), () -> {
                synchronized (done) {
                    return done.size();
                }
            });
        }
        Dataset data = null;
        String fingerprint = null;
        List<String> repairs = new ArrayList<>();
        if (dir.found() != SweepDir.Found.NOTHING) {
            checkGrid(dir, spec, mode);
            String stored = storedFingerprint(dir);
            if (stored != null) {
                // The path alone does not identify the data: a file relabelled in place must not mix into the sweep.
                data = Datasets.build(spec.dataset(), spark);
                fingerprint = Fingerprint.of(data);
                checkData(spec, stored, fingerprint);
            }
            Set<String> ids = new HashSet<>();
            trials.forEach(t -> ids.add(t.trialId()));
            Journal old = dir.journal();
            Map<String, TrialResult> journalled = old.readAll();
            synchronized (done) {
                journalled.forEach((id, r) -> {
                    if (ids.contains(id)) {
                        done.put(id, r);
                    }
                });
            }
            if (old.unreadable() > 0 && progress != null) {
                progress.println("[gradflow] " + old.unreadable() + " unreadable progress files in " + old.path() + ": their trials run again");
            }
            if (dir.found() == SweepDir.Found.FINISHED && done.size() == trials.size() && old.unreadable() == 0) {
                repairs.addAll(damagedDatasets(spark, dir.path(), done));
                if (repairs.isEmpty()) {
                    List<String> missing = dir.missingInFinal(List.of(Schemas.COMPARISON.name(), Schemas.EFFECTS.name(),
                            Analysis.REPORT_FILE));
                    if (missing.isEmpty()) {
                        return new SweepOutcome(dir.path(), trials.size(), trials.size(), countVerdicts(done.values()), null,
                                System.currentTimeMillis() - t0, 0, null, null);
                    }
                    // Every row is there, only the derived analysis is not (e.g. interrupted while it ran): build it.
                    String what = String.join(", ", missing) + " missing: rebuilt by the analysis";
                    if (progress != null) {
                        progress.println("[gradflow] sweep '" + spec.name() + "' has every row but " + what);
                    }
                    return analyse(spark, dir, trials.size(), done, t0, List.of(what), interrupts);
                }
                if (progress != null) {
                    progress.println("[gradflow] sweep '" + spec.name() + "': " + String.join("; ", repairs)
                            + "; rewriting the datasets from the progress journal");
                }
            }
        }
        List<TrialConfig> todo = new ArrayList<>();
        for (TrialConfig t : trials) {
            if (!done.containsKey(t.trialId())) {
                todo.add(t);
            }
        }
        if (progress != null && !done.isEmpty() && !todo.isEmpty()) {
            progress.printf("[gradflow] resuming '%s': %d of %d trials already have a row, %d to run%n",
                    spec.name(), done.size(), trials.size(), todo.size());
        }

        if (data == null && !todo.isEmpty()) {
            data = Datasets.build(spec.dataset(), spark);
            fingerprint = Fingerprint.of(data);
        }
        // Data-parallel trials (training.parallelism: data) each take the whole cluster: they run one after
        // another on the driver, after the task trials' one job, and their results take the same journal/done path.
        // Task trials get the data by broadcast, so data over the broadcast limit refuses them before anything runs.
        List<TrialConfig> dataTrials = todo.stream().filter(t -> t.parallelism().isData()).toList();
        List<TrialConfig> taskTrials = todo.stream().filter(t -> !t.parallelism().isData()).toList();
        if (data != null && !taskTrials.isEmpty()) {
            String refusal = io.gradflow.dp.BroadcastLimit.refusal(spec.dataset().canonical(),
                    io.gradflow.dp.BroadcastLimit.bytes(data), spark.sparkContext().getConf().getSizeAsBytes(
                            io.gradflow.dp.BroadcastLimit.CONF, String.valueOf(io.gradflow.dp.BroadcastLimit.DEFAULT_BYTES)));
            if (refusal != null) {
                throw new GridException(refusal);
            }
        }
        dir.begin(spec.source());
        // Written now, not only at the end, so that an interrupted sweep records which data its trials used.
        dir.writeText(SweepDir.MANIFEST_FILE, manifest(spark, spec, List.copyOf(done.values()), trials.size(), t0,
                System.currentTimeMillis(), "the sweep has not finished", fingerprint));
        Journal journal = dir.journal();
        String error = taskTrials.isEmpty() ? null : runTrials(spark, spec, taskTrials, data, journal, done, progress, t0);
        if (error == null && !dataTrials.isEmpty()) {
            io.gradflow.dp.DataParallelRunner.runAll(JavaSparkContext.fromSparkContext(spark.sparkContext()), dataTrials,
                    data, r -> {
                        journal.write(r);
                        synchronized (done) {
                            done.put(r.trialId(), r);
                        }
                    }, () -> interrupted(interrupts), progress);
        }
        if (interrupted(interrupts)) {
            return interruptedOutcome(dir.stagingDir(), trials.size(), done, t0, todo.size());
        }

        if (done.isEmpty()) {
            dir.abandon();
            return new SweepOutcome(dir.path(), trials.size(), 0, Map.of(),
                    error != null ? error : "no trial produced a row", System.currentTimeMillis() - t0, todo.size(),
                    null, null);
        }
        List<TrialResult> all = new ArrayList<>(done.values());
        // The sweep's wall time, the one duration the summary, progress clock, manifest and report all show.
        long wallMillis = write(spark, spec, dir, all, trials.size(), t0, error, fingerprint) - t0;
        boolean complete = error == null && all.size() == trials.size();
        if (complete) {
            dir.commit();
            SweepOutcome o = analyse(spark, dir, trials.size(), done, t0, repairs, interrupts);
            return new SweepOutcome(o.directory(), o.trials(), o.rows(), o.byVerdict(), o.error(), wallMillis,
                    todo.size(), o.summary(), o.analysisError(), o.repaired(), o.interrupted());
        } else if (error == null) {
            error = (trials.size() - all.size()) + " trials have no row";
        }
        return new SweepOutcome(dir.stagingDir(), trials.size(), all.size(), countVerdicts(all), error,
                wallMillis, todo.size(), null, null, repairs, false);
    }

    /**
     * Builds comparison, effects and the report of the committed sweep. They are derived data: a failure here loses
     * no trial, and `gradflow report` or `--resume` rebuilds them.
     */
    private static SweepOutcome analyse(SparkSession spark, SweepDir dir, int total, Map<String, TrialResult> done,
                                        long t0, List<String> repairs, Interrupts interrupts) {
        String summary = null;
        String analysisError = null;
        try {
            summary = Analysis.terminalSummary(Analysis.run(spark, dir.path()));
        } catch (RuntimeException | LinkageError e) {
            analysisError = e.getClass().getSimpleName() + ": " + firstLine(e);
        }
        if (interrupted(interrupts)) {
            return interruptedOutcome(dir.path(), total, done, t0, 0);
        }
        return new SweepOutcome(dir.path(), total, done.size(), countVerdicts(done.values()), null,
                System.currentTimeMillis() - t0, 0, summary, analysisError, repairs, false);
    }

    private static boolean interrupted(Interrupts interrupts) {
        return interrupts != null && interrupts.requested();
    }

    private static SweepOutcome interruptedOutcome(String directory, int total, Map<String, TrialResult> done, long t0,
                                                   int ran) {
        synchronized (done) {
            return new SweepOutcome(directory, total, done.size(), countVerdicts(done.values()), "interrupted",
                    System.currentTimeMillis() - t0, ran, null, null, List.of(), true);
        }
    }

    /**
     * Compares a finished sweep's datasets with its journal: each of trials, layer_stats and curves must be there,
     * readable, and hold one row per journalled trial (and its layer and curve rows). Returns one phrase per
     * dataset that is not, e.g. "trials is missing"; the caller rewrites them from the journal.
     */
    static List<String> damagedDatasets(SparkSession spark, String sweepDir, Map<String, TrialResult> done) {
        long layerRows = done.values().stream().mapToLong(r -> r.layerStats().size()).sum();
        long curveRows = done.values().stream().mapToLong(r -> r.curve().size()).sum();
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put(Schemas.TRIALS.name(), (long) done.size());
        expected.put(Schemas.LAYER_STATS.name(), layerRows);
        expected.put(Schemas.CURVES.name(), curveRows);
        List<String> problems = new ArrayList<>();
        org.apache.hadoop.fs.Path dirPath = new org.apache.hadoop.fs.Path(sweepDir);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dirPath, e.getKey());
            try {
                if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                    problems.add(e.getKey() + " is missing");
                    continue;
                }
                org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df = spark.read().parquet(p.toString());
                long n = df.count();
                if (n != e.getValue()) {
                    problems.add(e.getKey() + " has " + n + " rows, the journal " + e.getValue());
                } else if (e.getKey().equals(Schemas.TRIALS.name())
                        && !new HashSet<>(df.select("trial_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
                        .equals(done.keySet())) {
                    problems.add("trials holds other trials than the journal");
                }
            } catch (Exception ex) {
                // Spark does not declare AnalysisException (UNABLE_TO_INFER_SCHEMA for a folder without files).
                problems.add(e.getKey() + " cannot be read (" + firstLine(ex) + ")");
            }
        }
        return problems;
    }

    /** The data fingerprint an earlier run recorded in its manifest; null for a sweep from before fingerprints. */
    private static String storedFingerprint(SweepDir dir) {
        String text = dir.previousManifest();
        if (text == null) {
            return null;
        }
        try {
            JsonNode v = new ObjectMapper().readTree(text).get("dataset_fingerprint");
            return v == null || v.isNull() ? null : v.asText();
        } catch (Exception e) {
            return null; // an unreadable manifest is rewritten by this run; the grid check still applies
        }
    }

    /** Refuses to resume or extend with data that is not the data the sweep's trials were trained on. */
    static void checkData(GridSpec spec, String stored, String now) {
        if (!stored.equals(now)) {
            throw new GridException("the data of sweep '" + spec.name() + "' changed since it ran: dataset "
                    + spec.dataset().canonical() + " now has fingerprint " + Fingerprint.shortForm(now)
                    + ", but its trials were trained on " + Fingerprint.shortForm(stored)
                    + "; pass --overwrite to start over on the new data or use another name");
        }
    }

    /** Refuses to continue an earlier run whose grid differs, unless the difference only adds trials and EXTEND. */
    private static void checkGrid(SweepDir dir, GridSpec spec, Mode mode) {
        GridSpec previous;
        try {
            previous = GridParser.parse(dir.previousGrid(), dir.path() + "/" + SweepDir.GRID_FILE, spec.name());
        } catch (GridException e) {
            throw new GridException("the stored grid of sweep '" + spec.name() + "' cannot be read (" + e.getMessage()
                    + "); pass --overwrite to start over");
        }
        GridDiff diff = GridDiff.compare(previous, spec);
        if (diff.same()) {
            return;
        }
        String what = String.join("; ", diff.changes());
        if (!diff.extensionOnly()) {
            throw new GridException("the grid of sweep '" + spec.name() + "' changed since it ran (" + what
                    + "), and the change alters trials already done; pass --overwrite to start over or use another name");
        }
        if (mode != Mode.EXTEND) {
            throw new GridException("the grid of sweep '" + spec.name() + "' changed since it ran (" + what
                    + "); pass --extend to add the new trials to it, or --overwrite to start over");
        }
    }

    /** Runs the trials as one Spark job; returns the job's error, or null. Results go to the journal and {@code done}. */
    private static String runTrials(SparkSession spark, GridSpec spec, List<TrialConfig> todo, Dataset data,
                                    Journal journal, Map<String, TrialResult> done, PrintStream progress, long t0) {
        // Longest first: with one task per trial, the expensive ones must not start in the last wave.
        List<TrialConfig> order = new ArrayList<>(todo);
        order.sort(Comparator.comparingDouble(TrialConfig::estimatedCost).reversed().thenComparing(TrialConfig::trialId));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobGroup("gradflow-" + spec.name(), "gradflow sweep " + spec.name() + " (" + order.size() + " trials)");
        Broadcast<Dataset> bdata = jsc.broadcast(data);
        Set<String> injectFail = idSet(spark.conf().get(INJECT_FAIL_CONF, ""));
        Set<String> injectCrash = idSet(spark.conf().get(INJECT_CRASH_CONF, ""));

        JavaRDD<TrialConfig> rdd = jsc.parallelize(order, order.size());
        double totalCost = order.stream().mapToDouble(TrialConfig::estimatedCost).sum();
        Progress prog = new Progress(progress, order.size(), totalCost, t0);
        List<Object> partitions = new ArrayList<>();
        IntStream.range(0, order.size()).forEach(partitions::add);
        SimpleFutureAction<Void> job = spark.sparkContext().submitJob(rdd.rdd(), new TrialTask(bdata, injectFail, injectCrash),
                JavaConverters.asScalaBuffer(partitions).toSeq(),
                new AbstractFunction2<Object, TrialResult, BoxedUnit>() {
                    @Override
                    public BoxedUnit apply(Object partition, TrialResult r) {
                        // On the driver, as each task's result arrives: durable first, then counted.
                        journal.write(r);
                        synchronized (done) {
                            done.put(r.trialId(), r);
                        }
                        prog.completed(r);
                        return BoxedUnit.UNIT;
                    }
                },
                new AbstractFunction0<Void>() {
                    @Override
                    public Void apply() {
                        return null;
                    }
                });
        String error = null;
        try {
            job.get();
        } catch (Exception e) {
            error = "the Spark job failed: " + firstLine(e);
        } finally {
            bdata.destroy();
        }
        return error;
    }

    private static Map<Verdict, Integer> countVerdicts(Iterable<TrialResult> results) {
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        results.forEach(r -> counts.merge(r.summary().verdict(), 1, Integer::sum));
        return counts;
    }

    /**
     * Writes the datasets and the manifest; returns the end of the sweep's wall time (epoch milliseconds): the
     * moment the datasets are written, which the manifest records as {@code finished_at}.
     */
    private static long write(SparkSession spark, GridSpec spec, SweepDir dir, List<TrialResult> done, int total,
                              long startMillis, String error, String fingerprint) {
        // Stable row order makes the files themselves reproducible, not only their contents.
        done.sort(Comparator.comparing(TrialResult::trialId));
        List<Schemas.SweepTrial> trialRows = new ArrayList<>();
        List<LayerStat> layerRows = new ArrayList<>();
        List<CurvePoint> curveRows = new ArrayList<>();
        for (TrialResult r : done) {
            trialRows.add(new Schemas.SweepTrial(spec.name(), r.summary()));
            layerRows.addAll(r.layerStats());
            curveRows.addAll(r.curve());
        }
        DatasetWriter.write(spark, Schemas.TRIALS, trialRows, dir.stagingPath(Schemas.TRIALS.name()));
        DatasetWriter.write(spark, Schemas.LAYER_STATS, layerRows, dir.stagingPath(Schemas.LAYER_STATS.name()));
        DatasetWriter.write(spark, Schemas.CURVES, curveRows, dir.stagingPath(Schemas.CURVES.name()));
        long end = System.currentTimeMillis();
        dir.writeText(SweepDir.MANIFEST_FILE, manifest(spark, spec, done, total, startMillis, end, error, fingerprint));
        return end;
    }

    static String manifest(SparkSession spark, GridSpec spec, List<TrialResult> done, int total, long startMillis,
                           long endMillis, String error, String fingerprint) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode m = om.createObjectNode();
        m.put("sweep", spec.name());
        m.put("gradflow_version", Versions.gradflow());
        m.put("git_commit", gitCommit());
        m.put("dl4j_version", Versions.dl4j());
        m.put("spark_version", spark.version());
        m.put("java_version", Versions.java());
        m.put("master", spark.sparkContext().master());
        m.put("application_id", spark.sparkContext().applicationId());
        m.put("started_at", Instant.ofEpochMilli(startMillis).toString());
        m.put("finished_at", Instant.ofEpochMilli(endMillis).toString());
        m.put("wall_time_ms", endMillis - startMillis);
        m.put("dataset", spec.dataset().canonical());
        // SHA-256 of the loaded data (data.Fingerprint); null when this run did not load it (nothing to train)
        m.put("dataset_fingerprint", fingerprint);
        m.put("trials_total", total);
        m.put("trials_written", done.size());
        ObjectNode v = m.putObject("verdicts");
        for (Verdict verdict : Verdict.values()) {
            v.put(verdict.name(), done.stream().filter(r -> r.summary().verdict() == verdict).count());
        }
        Set<String> executors = new LinkedHashSet<>();
        done.forEach(r -> executors.add(r.summary().provenance().executorId()));
        m.putPOJO("executors", executors);
        m.putPOJO("axes", spec.axisNames());
        // trials, layer_stats and curves now; comparison, effects and report.html are added by the analysis
        m.putPOJO("datasets", Schemas.all().stream().map(t -> t.name()).toList());
        m.put("report", Analysis.REPORT_FILE);
        if (error != null) {
            m.put("error", error);
        }
        try {
            return om.writeValueAsString(m) + "\n";
        } catch (Exception e) {
            throw new IllegalStateException("could not render the manifest", e);
        }
    }

    /** The commit the launcher found, if any: provenance for results produced from a checkout. */
    static String gitCommit() {
        String p = System.getProperty("gradflow.git.commit");
        if (p == null || p.isBlank()) {
            p = System.getenv("GRADFLOW_GIT_COMMIT");
        }
        return p == null || p.isBlank() ? "unknown" : p.trim();
    }

    private static Set<String> idSet(String csv) {
        Set<String> s = new HashSet<>(Arrays.asList(csv.trim().split("\\s*,\\s*")));
        s.remove("");
        return s;
    }

    /** The first line of the innermost message: Spark wraps the real reason in "Exception thrown in awaitResult". */
    private static String firstLine(Throwable e) {
        Throwable t = e;
        String m = String.valueOf(e.getMessage());
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                m = t.getMessage();
            }
        }
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).trim();
    }
}
