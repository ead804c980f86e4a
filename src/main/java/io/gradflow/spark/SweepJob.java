package io.gradflow.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.store.DatasetWriter;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The sweep on Spark, and nothing else: expand the grid, build the data once and broadcast it, run one task per
 * trial (longest first, so the last wave does not idle the cluster), collect each result on the driver as its
 * task finishes, and write the datasets, the grid and a manifest. No statistics are computed here.
 */
public final class SweepJob {

    /** Spark setting naming trial ids that must fail on purpose ("all" for every trial): a test hook. */
    public static final String INJECT_FAIL_CONF = "spark.gradflow.inject.fail";
    /** Spark setting naming trial ids whose task must crash outside the trial ("all" for every trial): a test hook. */
    public static final String INJECT_CRASH_CONF = "spark.gradflow.inject.crash";

    private SweepJob() {
    }

    /**
     * Runs a sweep on an existing session.
     *
     * @param spark     the session (its master decides where tasks run)
     * @param spec      the validated grid
     * @param out       parent folder of the sweep folder (any Hadoop path)
     * @param overwrite replace an existing sweep folder of the same name
     * @param progress  where progress lines go (null for none)
     */
    public static SweepOutcome run(SparkSession spark, GridSpec spec, String out, boolean overwrite, PrintStream progress) {
        long t0 = System.currentTimeMillis();
        List<TrialConfig> trials = new ArrayList<>(Grid.expand(spec));
        SweepDir dir = SweepDir.prepare(out, spec.name(), overwrite, spark.sparkContext().hadoopConfiguration());
        Dataset data;
        try {
            data = Datasets.build(spec.dataset(), spark);
        } catch (RuntimeException e) {
            dir.abandon();
            throw e;
        }

        // Longest first: with one task per trial, the expensive ones must not start in the last wave.
        trials.sort(Comparator.comparingDouble(TrialConfig::estimatedCost).reversed()
                .thenComparing(TrialConfig::trialId));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobGroup("gradflow-" + spec.name(), "gradflow sweep " + spec.name() + " (" + trials.size() + " trials)");
        Broadcast<Dataset> bdata = jsc.broadcast(data);
        Set<String> injectFail = idSet(spark.conf().get(INJECT_FAIL_CONF, ""));
        Set<String> injectCrash = idSet(spark.conf().get(INJECT_CRASH_CONF, ""));

        JavaRDD<TrialConfig> rdd = jsc.parallelize(trials, trials.size());
        double totalCost = trials.stream().mapToDouble(TrialConfig::estimatedCost).sum();
        Progress prog = new Progress(progress, trials.size(), totalCost);
        TrialResult[] results = new TrialResult[trials.size()];
        List<Object> partitions = new ArrayList<>();
        IntStream.range(0, trials.size()).forEach(partitions::add);

        String error = null;
        String started = Instant.now().toString();
        SimpleFutureAction<Void> job = spark.sparkContext().submitJob(rdd.rdd(), new TrialTask(bdata, injectFail, injectCrash),
                JavaConverters.asScalaBuffer(partitions).toSeq(),
                new AbstractFunction2<Object, TrialResult, BoxedUnit>() {
                    @Override
                    public BoxedUnit apply(Object partition, TrialResult r) {
                        // Runs on the driver as each task's result arrives.
                        synchronized (results) {
                            results[(Integer) partition] = r;
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
        try {
            job.get();
        } catch (Exception e) {
            error = "the Spark job failed: " + firstLine(e);
        }
        bdata.destroy();

        List<TrialResult> done = new ArrayList<>();
        synchronized (results) {
            for (TrialResult r : results) {
                if (r != null) {
                    done.add(r);
                }
            }
        }
        if (done.isEmpty()) {
            dir.abandon();
            return new SweepOutcome(dir.path(), trials.size(), 0, Map.of(), error != null ? error : "no trial produced a row",
                    System.currentTimeMillis() - t0);
        }
        write(spark, spec, dir, done, trials.size(), started, error);
        dir.commit();
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        done.forEach(r -> counts.merge(r.summary().verdict(), 1, Integer::sum));
        return new SweepOutcome(dir.path(), trials.size(), done.size(), counts, error, System.currentTimeMillis() - t0);
    }

    private static void write(SparkSession spark, GridSpec spec, SweepDir dir, List<TrialResult> done, int total,
                              String started, String error) {
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
        DatasetWriter.write(spark, Schemas.TRIALS, trialRows, dir.stagingPath(Schemas.TRIALS.name()), 1);
        DatasetWriter.write(spark, Schemas.LAYER_STATS, layerRows, dir.stagingPath(Schemas.LAYER_STATS.name()), 1);
        DatasetWriter.write(spark, Schemas.CURVES, curveRows, dir.stagingPath(Schemas.CURVES.name()), 1);
        dir.writeText(SweepDir.GRID_FILE, spec.source());
        dir.writeText(SweepDir.MANIFEST_FILE, manifest(spark, spec, done, total, started, error));
    }

    static String manifest(SparkSession spark, GridSpec spec, List<TrialResult> done, int total, String started,
                           String error) {
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
        m.put("started_at", started);
        m.put("finished_at", Instant.now().toString());
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
        m.putPOJO("datasets", Schemas.all().stream().map(t -> t.name()).toList());
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
