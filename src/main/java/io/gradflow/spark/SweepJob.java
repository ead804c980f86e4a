package io.gradflow.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.analysis.Analysis;
import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.data.Fingerprint;
import io.gradflow.grid.Axis;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridDiff;
import io.gradflow.grid.GridException;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.store.Parts;
import io.gradflow.store.ModelStore;
import io.gradflow.model.ModelFiles;
import io.gradflow.store.Schemas;
import io.gradflow.store.SweepDir;
import io.gradflow.store.TrialReceipt;
import io.gradflow.trial.Verdict;
import io.gradflow.trial.Versions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SimpleFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction0;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The sweep on Spark, and nothing else: expand the grid into eight bytes per trial (or, for a large grid, on the
 * executors: {@link DistributedGrid}), build the data once and
 * broadcast it, run the missing trials longest first as one job whose tasks carry one long trial or a batch of
 * short ones ({@link TaskPlan}), each task committing its trials' rows as a Parquet part of the journal on the
 * executor ({@link Parts}) and returning only receipts, then rewrite the parts into the datasets with Spark and
 * write the grid and a manifest. No statistics are computed here.
 */
public final class SweepJob {

    /** Spark setting naming trial ids that must fail on purpose ("all" for every trial): a test hook. */
    public static final String INJECT_FAIL_CONF = "spark.gradflow.inject.fail";
    /** Spark setting naming trial ids whose task must crash outside the trial ("all" for every trial): a test hook. */
    public static final String INJECT_CRASH_CONF = "spark.gradflow.inject.crash";
    /**
     * Spark setting naming trial ids whose task must crash right after committing its part, on its first attempt
     * only ("all" for every task): a test hook for a retried task whose trials are already in the journal.
     */
    public static final String INJECT_CRASH_AFTER_COMMIT_CONF = "spark.gradflow.inject.crashAfterCommit";

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
    public static SweepOutcome run(SparkSession spark, GridSpec grid, String out, Mode mode, PrintStream progress,
                                   Interrupts interrupts) {
        DistributedGrid.Pending[] pending = {null};
        try {
            return run(spark, grid, out, mode, progress, interrupts, pending);
        } finally {
            if (pending[0] != null) {
                pending[0].close(); // the persisted keys and broadcasts of a distributed grid
            }
        }
    }

    private static SweepOutcome run(SparkSession spark, GridSpec grid, String out, Mode mode, PrintStream progress,
                                    Interrupts interrupts, DistributedGrid.Pending[] pending) {
        long t0 = System.currentTimeMillis();
        // Warm starts name their model files and fingerprint before the trial ids are computed (the ids hash them).
        GridSpec spec = ModelStore.resolve(grid, spark.sparkContext().hadoopConfiguration());
        // A large grid is expanded and identified on the executors; a smaller one on the driver, 32 bytes per trial.
        long from = DistributedGrid.threshold(spark);
        java.util.Optional<DistributedGrid> big = DistributedGrid.ifLarge(spec, from, mayHaveDataTrials(spec));
        Trials trials = big.isPresent() ? null : Trials.of(spec);
        int total = big.isPresent() ? big.get().size() : trials.size();
        if (big.isPresent() && progress != null) {
            progress.printf("[gradflow] %d trials in %d cost classes, expanded and matched against the journal on the "
                    + "executors (%s=%d)%n", total, big.get().classes(), DistributedGrid.CONF, from);
        }
        SweepDir.Mode dirMode = switch (mode) {
            case NEW -> SweepDir.Mode.NEW;
            case OVERWRITE -> SweepDir.Mode.OVERWRITE;
            case RESUME, EXTEND -> SweepDir.Mode.RESUME;
        };
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        SweepDir dir = SweepDir.open(out, spec.name(), dirMode, hadoop);

        // What earlier runs finished, and whether this grid may continue them: all checked before any change.
        Tally tally = new Tally();
        if (interrupts != null) {
            interrupts.attach(spark);
            interrupts.track(total, tally::size);
        }
        Dataset data = null;
        // A user file for a grid of data trials only is read by Spark and never collected (dp.DistributedData).
        boolean distributed = spec.dataset().kind().isFile() && !mayHaveTaskTrials(spec);
        io.gradflow.dp.DistributedData spread = null;
        String fingerprint = null;
        List<String> repairs = new ArrayList<>();
        boolean[] done = trials == null ? null : new boolean[total];
        if (dir.found() != SweepDir.Found.NOTHING) {
            if (interrupts != null) {
                interrupts.started();
            }
            checkGrid(dir, spec, mode, hadoop);
            String stored = storedFingerprint(dir);
            if (stored != null) {
                // The path alone does not identify the data: a file relabelled in place must not mix into the sweep.
                if (distributed) {
                    spread = io.gradflow.dp.DistributedData.read(spark, spec.dataset());
                    fingerprint = spread.fingerprint();
                } else {
                    data = Datasets.build(spec.dataset(), spark);
                    fingerprint = Fingerprint.of(data);
                }
                checkData(spec, stored, fingerprint);
            }
            Path parts = new Path(dir.partsPath());
            // A finished sweep's journal was checked footer by footer on opening; an interrupted one may hold a part
            // a killed writer or a damaged disk left unreadable: moved aside, its trials run again.
            Parts.Committed committed = Parts.committed(spark, fileSystem(parts, hadoop), parts,
                    dir.found() == SweepDir.Found.INTERRUPTED, big.isEmpty());
            int strangers;
            if (big.isPresent()) {
                // The journal's ids are matched against the grid by Spark: only the missing count reaches the driver.
                pending[0] = prepared(interrupts, () -> big.get().pending(spark, committed.trials() > 0 ? parts : null));
                if (pending[0] == null) {
                    // Ctrl-C while Spark matched the journal against the grid: nothing was changed, the journal is kept.
                    tally.addCommitted(committed, committed.trials());
                    return interruptedOutcome(dir.stagingDir(), total, tally, t0, 0);
                }
                strangers = tally.addCommitted(committed, total - pending[0].count());
            } else {
                strangers = tally.addCommitted(committed, trials, done);
            }
            if (strangers > 0) {
                // Same grid text, other trials: their ids hash something that changed (a warm start's model file
                // rewritten with other weights); mixing the two would put rows of another experiment in the sweep.
                throw new GridException("sweep '" + spec.name() + "' holds " + io.gradflow.analysis.Plural.of(strangers, "trial")
                        + " that its grid no longer has, though the grid file reads the same (was a pretrained(...) model "
                        + "rewritten?); pass --overwrite to start over or use another name");
            }
            if (!committed.quarantined().isEmpty() && progress != null) {
                progress.println("[gradflow] " + committed.quarantined().size() + " unreadable progress parts in "
                        + parts + " moved to " + Parts.QUARANTINE + "/: their trials run again");
            }
            if (dir.found() == SweepDir.Found.FINISHED && tally.size() == total) {
                repairs.addAll(damagedDatasets(spark, dir.path(), dir.partsPath()));
                if (repairs.isEmpty()) {
                    List<String> missing = dir.missingInFinal(List.of(Schemas.COMPARISON.name(), Schemas.EFFECTS.name(),
                            Analysis.REPORT_FILE));
                    if (missing.isEmpty()) {
                        return new SweepOutcome(dir.path(), total, total, tally.verdicts(), null,
                                System.currentTimeMillis() - t0, 0, null, null);
                    }
                    // Every row is there, only the derived analysis is not (e.g. interrupted while it ran): build it.
                    String what = String.join(", ", missing) + " missing: rebuilt by the analysis";
                    if (progress != null) {
                        progress.println("[gradflow] sweep '" + spec.name() + "' has every row but " + what);
                    }
                    return analyse(spark, dir, total, tally, t0, List.of(what), interrupts);
                }
                if (progress != null) {
                    progress.println("[gradflow] sweep '" + spec.name() + "': " + String.join("; ", repairs)
                            + "; rewriting the datasets from the progress journal");
                }
            }
        }
        if (big.isPresent() && pending[0] == null) {
            pending[0] = prepared(interrupts, () -> big.get().pending(spark, null));
            if (pending[0] == null) {
                return interruptedOutcome(dir.path(), total, tally, t0, 0); // nothing was written yet
            }
        }
        int[] todo = trials == null ? null : trials.missing(done);
        int todoCount = trials == null ? pending[0].count() : todo.length;
        if (progress != null && tally.size() > 0 && todoCount > 0) {
            progress.printf("[gradflow] resuming '%s': %d of %d trials already have a row, %d to run%n",
                    spec.name(), tally.size(), total, todoCount);
        }

        if (distributed && spread == null && todoCount > 0) {
            spread = io.gradflow.dp.DistributedData.read(spark, spec.dataset());
            fingerprint = spread.fingerprint();
        } else if (!distributed && data == null && todoCount > 0) {
            data = Datasets.build(spec.dataset(), spark);
            fingerprint = Fingerprint.of(data);
        }
        // Data-parallel trials (training.parallelism: data) each take the whole cluster: they run one after
        // another on the driver, after the task trials' one job, and commit through the same part writer, so their
        // receipts take the same path as the tasks'. Task trials get the data by broadcast, so data over the
        // broadcast limit refuses them before anything runs. Only a grid that can hold data trials pays for the split.
        List<TrialConfig> dataTrials = new ArrayList<>();
        if (mayHaveDataTrials(spec)) {
            List<Integer> taskPos = new ArrayList<>();
            for (int p : todo) {
                TrialConfig t = Grid.at(spec, trials.raw(p));
                if (t.parallelism().isData()) {
                    dataTrials.add(t);
                } else {
                    taskPos.add(p);
                }
            }
            todo = taskPos.stream().mapToInt(Integer::intValue).toArray();
            todoCount = todo.length;
        }
        // What this run trains: the task trials' job and the data trials after it (what "nothing to do" counts).
        int toRun = todoCount + dataTrials.size();
        if (data != null && todoCount > 0) {
            String refusal = io.gradflow.dp.BroadcastLimit.refusal(spec.dataset().canonical(),
                    io.gradflow.dp.BroadcastLimit.bytes(data), spark.sparkContext().getConf().getSizeAsBytes(
                            io.gradflow.dp.BroadcastLimit.CONF, String.valueOf(io.gradflow.dp.BroadcastLimit.DEFAULT_BYTES)));
            if (refusal != null) {
                throw new GridException(refusal);
            }
        }
        dir.begin(spec.source());
        if (interrupts != null) {
            interrupts.started();
        }
        // Where warm starts read their models and, with outputs.models, trained networks go (moved with the folder).
        ModelFiles models = new ModelStore(new Parts.Conf(hadoop),
                spec.outputs().models() ? new Path(dir.stagingDir(), ModelStore.DIR).toString() : null);
        if (interrupts != null) {
            // What an interrupt reports as kept is what is on disk: a task can commit its part and be cancelled
            // before its result reaches the driver.
            org.apache.hadoop.conf.Configuration hc = spark.sparkContext().hadoopConfiguration();
            org.apache.hadoop.fs.Path partsDir = new org.apache.hadoop.fs.Path(dir.partsPath());
            interrupts.track(total, () -> (int) Math.min(total, Math.max(tally.size(), Parts.committedRows(hc, partsDir))));
        }
        // Written now, not only at the end, so that an interrupted sweep records which data its trials used.
        dir.writeText(SweepDir.MANIFEST_FILE, manifest(spark, spec, tally, total, t0,
                System.currentTimeMillis(), "the sweep has not finished", fingerprint));
        Trials driverTrials = trials;
        int[] driverTodo = todo;
        String error = todoCount == 0 ? null
                : runTrials(spark, spec, trials == null ? jsc -> distributedWork(pending[0], jsc)
                        : jsc -> driverWork(driverTrials, driverTodo, jsc), data, dir.partsPath(), models, tally,
                progress, t0);
        if (error == null && !dataTrials.isEmpty()) {
            Progress dataProgress = new Progress(progress, dataTrials.size(),
                    dataTrials.stream().mapToDouble(TrialConfig::estimatedCost).sum(), t0);
            int[] n = {0};
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Dataset held = data;
            io.gradflow.dp.DistributedData shared = spread;
            io.gradflow.dp.DataParallelRunner.runAll(jsc, dataTrials,
                    c -> shared != null ? shared.forTrial(c.seed())
                            : io.gradflow.dp.DataParallelTrial.driverData(jsc, c, held), models, r -> {
                        // one part per data trial: its own unique tag, committed before the receipt is counted
                        List<TrialReceipt> receipts = io.gradflow.store.Parts.sink(spec.name(), dir.partsPath(),
                                new io.gradflow.store.Parts.Conf(spark.sparkContext().hadoopConfiguration()),
                                "driver-" + t0 + "-" + (n[0]++)).commit(List.of(r));
                        record(tally, dataProgress, receipts);
                    }, () -> interrupted(interrupts), progress);
        }
        if (spread != null) {
            spread.close(); // its persisted rows and test chunks leave the executors' storage
        }
        if (interrupted(interrupts)) {
            return interruptedOutcome(dir.stagingDir(), total, tally, t0, toRun);
        }

        if (tally.size() == 0) {
            dir.abandon();
            return new SweepOutcome(dir.path(), total, 0, Map.of(),
                    error != null ? error : "no trial produced a row", System.currentTimeMillis() - t0, toRun,
                    null, null);
        }
        // The sweep's wall time, the one duration the summary, progress clock, manifest and report all show.
        long wallMillis = write(spark, spec, dir, tally, total, t0, error, fingerprint) - t0;
        boolean complete = error == null && tally.size() == total;
        if (complete) {
            dir.commit();
            SweepOutcome o = analyse(spark, dir, total, tally, t0, repairs, interrupts);
            return new SweepOutcome(o.directory(), o.trials(), o.rows(), o.byVerdict(), o.error(), wallMillis,
                    toRun, o.summary(), o.analysisError(), o.repaired(), o.interrupted());
        } else if (error == null) {
            error = (total - tally.size()) + " trials have no row";
        }
        return new SweepOutcome(dir.stagingDir(), total, tally.size(), tally.verdicts(), error,
                wallMillis, toRun, null, null, repairs, false);
    }

    /**
     * Builds comparison, effects and the report of the committed sweep. They are derived data: a failure here loses
     * no trial, and `gradflow report` or `--resume` rebuilds them.
     */
    private static SweepOutcome analyse(SparkSession spark, SweepDir dir, int total, Tally tally,
                                        long t0, List<String> repairs, Interrupts interrupts) {
        String summary = null;
        String analysisError = null;
        try {
            summary = Analysis.terminalSummary(Analysis.run(spark, dir.path()));
        } catch (RuntimeException | LinkageError e) {
            analysisError = e.getClass().getSimpleName() + ": " + firstLine(e);
        }
        if (interrupted(interrupts)) {
            return interruptedOutcome(dir.path(), total, tally, t0, 0);
        }
        return new SweepOutcome(dir.path(), total, tally.size(), tally.verdicts(), null,
                System.currentTimeMillis() - t0, 0, summary, analysisError, repairs, false);
    }

    /**
     * A distributed grid's preparation (its Spark jobs expand the grid and match the journal), which a signal cancels:
     * null when the sweep was interrupted during it or before it returned, so that no trial job starts after the
     * signal and the command ends as any interrupted sweep does, not with the cancelled job's error.
     */
    private static DistributedGrid.Pending prepared(Interrupts interrupts, java.util.function.Supplier<DistributedGrid.Pending> step) {
        DistributedGrid.Pending p;
        try {
            p = step.get();
        } catch (Exception e) { // a cancelled job's SparkException is a checked exception Scala throws unchecked
            if (interrupted(interrupts)) {
                return null;
            }
            throw e;
        }
        if (interrupted(interrupts)) {
            p.close();
            return null;
        }
        return p;
    }

    private static boolean interrupted(Interrupts interrupts) {
        return interrupts != null && interrupts.requested();
    }

    private static SweepOutcome interruptedOutcome(String directory, int total, Tally tally, long t0, int ran) {
        return new SweepOutcome(directory, total, tally.size(), tally.verdicts(), "interrupted",
                System.currentTimeMillis() - t0, ran, null, null, List.of(), true);
    }

    /**
     * Compares a finished sweep's datasets with its journal, with Spark: each of trials, layer_stats and curves
     * must be there, readable, and hold one row per journalled trial (and its layer and curve rows). Returns one
     * phrase per dataset that is not, e.g. "trials is missing"; the caller rewrites them from the journal.
     */
    static List<String> damagedDatasets(SparkSession spark, String sweepDir, String partsDir) {
        Parts.Unique u = Parts.unique(spark, new Path(partsDir));
        org.apache.spark.sql.Dataset<Row> unique = u.rows();
        Parts.Counts n = u.counts();
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put(Schemas.TRIALS.name(), n.trials());
        expected.put(Schemas.LAYER_STATS.name(), n.layerStats());
        expected.put(Schemas.CURVES.name(), n.curves());
        List<String> problems = new ArrayList<>();
        Path dirPath = new Path(sweepDir);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            Path p = new Path(dirPath, e.getKey());
            try {
                if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                    problems.add(e.getKey() + " is missing");
                    continue;
                }
                org.apache.spark.sql.Dataset<Row> df = spark.read().parquet(p.toString());
                long rows = df.count();
                if (rows != e.getValue()) {
                    problems.add(e.getKey() + " has " + rows + " rows, the journal " + e.getValue());
                } else if (e.getKey().equals(Schemas.TRIALS.name())
                        && !df.select("trial_id").except(unique.select("trial_id")).isEmpty()) {
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
    private static void checkGrid(SweepDir dir, GridSpec spec, Mode mode, Configuration hadoop) {
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
        // Only a changed grid compares trial ids: then the old grid's warm starts are resolved like the new one's
        // (the ids hash the models), reading its model files only now.
        diff = GridDiff.compare(ModelStore.resolve(previous, hadoop), spec);
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

    /**
     * The trials of one run as tasks: one {@link TrialTask.Batch} per partition of {@code batches}.
     *
     * @param batches   the batches, one per partition
     * @param tasks     their number
     * @param trials    the trials they hold
     * @param totalCost the trials' summed cost-model estimate
     */
    private record Work(JavaRDD<TrialTask.Batch> batches, int tasks, int trials, double totalCost) {
    }

    /** The driver path: the missing trials ordered longest first from their precomputed numbers, planned, parallelized. */
    private static Work driverWork(Trials trials, int[] todo, JavaSparkContext jsc) {
        int[] order = trials.longestFirst(todo);
        double[] seconds = new double[order.length];
        double totalCost = 0;
        for (int i = 0; i < order.length; i++) {
            seconds[i] = trials.seconds(order[i]);
            totalCost += trials.cost(order[i]);
        }
        List<int[]> plan = TaskPlan.plan(seconds, jsc.defaultParallelism());
        List<TrialTask.Batch> batches = new ArrayList<>(plan.size());
        for (int b = 0; b < plan.size(); b++) {
            int[] range = plan.get(b);
            long[] raw = new long[range[1] - range[0]];
            for (int i = range[0]; i < range[1]; i++) {
                raw[i - range[0]] = trials.raw(order[i]);
            }
            batches.add(new TrialTask.Batch(b, raw));
        }
        return new Work(jsc.parallelize(batches, batches.size()), batches.size(), order.length, totalCost);
    }

    /** The distributed path: the pending trials grouped into batches on the executors (DistributedGrid). */
    private static Work distributedWork(DistributedGrid.Pending pending, JavaSparkContext jsc) {
        scala.Tuple2<JavaRDD<TrialTask.Batch>, Integer> b = pending.batches(jsc, jsc.defaultParallelism());
        return new Work(b._1(), b._2(), pending.count(), pending.totalCost());
    }

    /**
     * Runs the trials as one Spark job; returns the job's error, or null. Each task commits its trials' rows to the
     * journal on the executor; only their receipts reach {@code tally} here.
     */
    private static String runTrials(SparkSession spark, GridSpec spec, java.util.function.Function<JavaSparkContext, Work> plan,
                                    Dataset data, String partsDir, ModelFiles models, Tally tally, PrintStream progress,
                                    long t0) {
        // What the driver and the slots spent is measured only where it is printed.
        boolean measure = progress != null;
        Map<String, Long> cpu0 = measure ? DriverCpu.snapshot() : Map.of();
        int before = tally.size();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Work work = plan.apply(jsc);
        jsc.setJobGroup("gradflow-" + spec.name(), "gradflow sweep " + spec.name() + " (" + work.trials() + " trials in "
                + work.tasks() + " tasks)");
        Broadcast<Dataset> bdata = jsc.broadcast(data);
        Broadcast<GridSpec> bgrid = jsc.broadcast(spec);
        TrialTask task = new TrialTask(bdata, bgrid, partsDir, new Parts.Conf(spark.sparkContext().hadoopConfiguration()),
                idSet(spark.conf().get(INJECT_FAIL_CONF, "")), idSet(spark.conf().get(INJECT_CRASH_CONF, "")),
                idSet(spark.conf().get(INJECT_CRASH_AFTER_COMMIT_CONF, "")), models);
        JavaRDD<TrialTask.Batch> rdd = work.batches();
        Progress prog = new Progress(progress, work.trials(), work.totalCost(), t0);
        if (progress != null) {
            progress.printf("[gradflow] %d trials in %d tasks (one part file each)%n", work.trials(), work.tasks());
        }
        List<Object> partitions = new ArrayList<>();
        IntStream.range(0, work.tasks()).forEach(partitions::add);
        SlotUse slots = measure ? new SlotUse() : null;
        if (measure) {
            spark.sparkContext().addSparkListener(slots);
        }
        SimpleFutureAction<Void> job = spark.sparkContext().submitJob(rdd.rdd(), task,
                JavaConverters.asScalaBuffer(partitions).toSeq(),
                new AbstractFunction2<Object, ArrayList<TrialReceipt>, BoxedUnit>() {
                    @Override
                    public BoxedUnit apply(Object partition, ArrayList<TrialReceipt> receipts) {
                        // On the driver, as each task's receipts arrive: its part is already committed.
                        record(tally, prog, receipts);
                        return BoxedUnit.UNIT;
                    }
                },
                new AbstractFunction0<Void>() {
                    @Override
                    public Void apply() {
                        return null;
                    }
                });
        Map<String, Long> cpu1 = measure ? DriverCpu.snapshot() : Map.of();
        String error = null;
        try {
            job.get();
        } catch (Exception e) {
            error = "the Spark job failed: " + firstLine(e);
        } finally {
            bdata.destroy();
            bgrid.destroy();
        }
        if (measure) {
            printDriverWork(spark, progress, slots, cpu0, cpu1, DriverCpu.snapshot(), tally.size() - before,
                    jsc.defaultParallelism());
        }
        return error;
    }

    /**
     * Prints how busy the task slots were (Spark's task times) and the driver's own CPU: apart for starting the job
     * ({@code cpu0} to the first task's launch, or to {@code cpu1}, right after the job was submitted, where no task
     * started) and per trial while the trials ran (from there to {@code cpu2}). The scale
     * benchmark reads both lines: the driver's work per trial must stay O(1) and small.
     */
    private static void printDriverWork(SparkSession spark, PrintStream progress, SlotUse slots, Map<String, Long> cpu0,
                                        Map<String, Long> cpu1, Map<String, Long> cpu2, int recorded, int slotCount) {
        try {
            // Listener events arrive asynchronously: let the last task ends reach SlotUse before reading it.
            spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
        } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
            // a share computed from fewer tasks is still a measurement; nothing depends on it
        }
        spark.sparkContext().removeSparkListener(slots);
        // Spark submits the stage on its scheduler thread after submitJob returned: that is starting the job too.
        Map<String, Long> launched = slots.cpuAtFirstLaunch() == null || slots.cpuAtFirstLaunch().isEmpty()
                ? cpu1 : slots.cpuAtFirstLaunch();
        if (slots.tasks() > 0) {
            progress.printf(java.util.Locale.ROOT, "[gradflow] task slots busy %.1f%% (%d tasks on %d slots, first launch to last end)%n",
                    100 * slots.share(slotCount), slots.tasks(), slotCount);
        }
        if (!cpu0.isEmpty() && recorded > 0) {
            long start = DriverCpu.total(launched) - DriverCpu.total(cpu0);
            long during = DriverCpu.total(cpu2) - DriverCpu.total(launched);
            progress.printf(java.util.Locale.ROOT, "[gradflow] driver CPU: %.0f ms to start the job, %.0f ms while %d trials ran "
                            + "(%.3f ms per trial)%s%n", start / 1e6, during / 1e6, recorded, during / 1e6 / recorded,
                    Boolean.getBoolean(DriverCpu.THREADS_PROPERTY) ? "; most: " + DriverCpu.top(launched, cpu2, 8) : "");
        }
    }

    /** True when some trial of the grid may be a task trial (parallelism task, the default). */
    static boolean mayHaveTaskTrials(GridSpec spec) {
        return mayHave(spec, io.gradflow.grid.Parallelism.Mode.TASK);
    }

    /** True when some trial of the grid may be a data-parallel one (an axis value or the fixed setting). */
    static boolean mayHaveDataTrials(GridSpec spec) {
        return mayHave(spec, io.gradflow.grid.Parallelism.Mode.DATA);
    }

    private static boolean mayHave(GridSpec spec, io.gradflow.grid.Parallelism.Mode mode) {
        List<Object> values = spec.axes().get(Axis.PARALLELISM);
        return values != null ? values.contains(mode) : spec.fixedOrDefault(Axis.PARALLELISM) == mode;
    }

    /**
     * The one result path on the driver: what a {@link io.gradflow.store.ResultSink} committed is counted and shown.
     * Trials run by Spark tasks arrive here as task results; a driver-side runner (a trial trained across the
     * cluster) commits through {@code Parts.sink} on the driver and passes its receipts here the same way.
     */
    static void record(Tally tally, Progress prog, List<TrialReceipt> receipts) {
        tally.add(receipts);
        prog.recordAll(receipts);
    }

    /**
     * Writes the datasets from the journal (with Spark, or on the driver for a small journal:
     * {@link Parts#finishesOnDriver}), then the manifest, then compacts the journal; returns the end
     * of the sweep's wall time (epoch milliseconds): the moment the datasets are written, which the manifest records
     * as {@code finished_at}.
     */
    private static long write(SparkSession spark, GridSpec spec, SweepDir dir, Tally tally, int total,
                              long startMillis, String error, String fingerprint) {
        Path parts = new Path(dir.partsPath());
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        java.util.Optional<io.gradflow.store.LocalParquet.Settings> onDriver = Parts.finishesOnDriver(spark, parts);
        if (onDriver.isPresent()) {
            // A small journal: read and rewritten here, the same rows and files, without a dozen Spark jobs.
            Parts.LocalUnique unique = Parts.uniqueLocal(hadoop, parts);
            Parts.writeDatasetsLocal(unique, dir::stagingPath, hadoop, onDriver.get());
            long end = System.currentTimeMillis();
            dir.writeText(SweepDir.MANIFEST_FILE, manifest(spark, spec, tally, total, startMillis, end, error, fingerprint));
            Parts.compactLocal(hadoop, parts, unique, spark.version());
            return end;
        }
        Parts.Unique unique = Parts.unique(spark, parts);
        Parts.writeDatasets(unique, dir::stagingPath);
        long end = System.currentTimeMillis();
        dir.writeText(SweepDir.MANIFEST_FILE, manifest(spark, spec, tally, total, startMillis, end, error, fingerprint));
        Parts.compact(fileSystem(parts, hadoop), parts, unique.rows(), tally.size());
        return end;
    }

    static String manifest(SparkSession spark, GridSpec spec, Tally done, int total, long startMillis,
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
        Map<Verdict, Integer> counts = done.verdicts();
        for (Verdict verdict : Verdict.values()) {
            v.put(verdict.name(), (long) counts.getOrDefault(verdict, 0));
        }
        m.putPOJO("executors", done.executors());
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

    private static org.apache.hadoop.fs.FileSystem fileSystem(Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("could not open the file system of " + p, e);
        }
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
