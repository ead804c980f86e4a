package io.gradflow.dp;

import io.gradflow.model.ModelFiles;
import io.gradflow.data.Dataset;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.CurvePoint;
import io.gradflow.trial.LayerStat;
import io.gradflow.trial.NativeMemory;
import io.gradflow.trial.Provenance;
import io.gradflow.trial.Stats;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import io.gradflow.trial.TrialSummary;
import io.gradflow.trial.Verdict;
import io.gradflow.trial.Versions;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs one {@code parallelism: data} trial on the whole cluster and returns the same {@link TrialResult} a task
 * trial returns: the same {@code layer_stats} rows (measured on the driver's probe minibatch at the sampled rounds),
 * the same curve and summary, and the same rules for failures (an exception is a FAILED row, a non-finite loss a
 * DIVERGED one). Never throws.
 */
public final class DataParallelRunner {

    private DataParallelRunner() {
    }

    /**
     * Runs data trials one after another, each on the whole cluster, handing each result to {@code sink} as soon as
     * it exists (the sweep journals it there); stops early when {@code stop} says so (an interrupt).
     */
    public static void runAll(JavaSparkContext sc, List<TrialConfig> trials,
                              java.util.function.Function<TrialConfig, TrialData.Source> data, ModelFiles models,
                              java.util.function.Consumer<TrialResult> sink, java.util.function.BooleanSupplier stop,
                              java.io.PrintStream progress) {
        int i = 0;
        for (TrialConfig c : trials) {
            if (stop.getAsBoolean()) {
                return;
            }
            sc.setJobGroup("gradflow-data-" + c.trialId(), "gradflow data-parallel trial " + c.trialId());
            TrialResult r = run(sc, c, data.apply(c), models);
            sink.accept(r);
            i++;
            if (progress != null) {
                progress.printf(java.util.Locale.ROOT, "[gradflow] data-parallel trial %d/%d %s: %s in %.1f s on executors %s%n",
                        i, trials.size(), c.trialId(), r.summary().verdict(), r.summary().wallTimeMs() / 1000.0,
                        r.summary().provenance().executorId());
            }
        }
    }

    public static TrialResult run(JavaSparkContext sc, TrialConfig c, Dataset data) {
        return run(sc, c, data, null);
    }

    /**
     * One data trial on the cluster of {@code sc}; a warm start reads its model from {@code models}, and where
     * {@code models} writes, the trained network is stored as a task trial's is (before the caller commits the row).
     */
    public static TrialResult run(JavaSparkContext sc, TrialConfig c, Dataset data, ModelFiles models) {
        return run(sc, c, DataParallelTrial.driverData(sc, c, data), models);
    }

    /** {@link #run(JavaSparkContext, TrialConfig, Dataset, ModelFiles)} on the data {@code source} opens. */
    public static TrialResult run(JavaSparkContext sc, TrialConfig c, TrialData.Source data, ModelFiles models) {
        long wall0 = System.nanoTime();
        Provenance prov = new Provenance(Versions.gradflow(), Versions.dl4j(), sc.version(), Versions.java(),
                null, TrialRunner.hostName(), "driver", System.currentTimeMillis());
        DataParallelTrial trial = null;
        try {
            trial = new DataParallelTrial(sc, c, data, models);
            TrialResult r = train(trial, c, wall0, prov);
            Verdict v = r.summary().verdict();
            if (models != null && models.writes() && v != Verdict.DIVERGED && v != Verdict.FAILED) {
                models.write(c, trial.graph(), v.name());
            }
            return r;
        } catch (Exception | OutOfMemoryError | StackOverflowError | AssertionError | LinkageError e) {
            long wall = (System.nanoTime() - wall0) / 1_000_000;
            double[] theory = trial == null ? new double[]{Double.NaN, Double.NaN} : TrialRunner.theory(c, trial.features());
            Provenance p = trial == null ? prov : withExecutors(prov, trial.executors());
            TrialSummary s = new TrialSummary(c, Verdict.FAILED, TrialRunner.oneLine(e), TrialRunner.stack(e), 0, false,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, -1, wall, 0, 0, p, theory[0], theory[1], Double.NaN, Double.NaN, 0L);
            return new TrialResult(s, List.of(), List.of());
        } finally {
            if (trial != null) {
                trial.close();
            }
            NativeMemory.destroyThreadWorkspaces();
            NativeMemory.collect();
        }
    }

    private static TrialResult train(DataParallelTrial trial, TrialConfig c, long wall0, Provenance prov) {
        RoundPlan plan = RoundPlan.of(c);
        String id = c.trialId();
        int depth = c.depth();
        {
            List<LayerStat> layerStats = new ArrayList<>();
            List<CurvePoint> curve = new ArrayList<>();
            List<double[]> flows = new ArrayList<>();
            double[] losses = new double[plan.rounds()];
            boolean underflow = false;
            double flowDeltaOutInit = Double.NaN;
            long nonFinite = 0;
            long statsNanos = 0;
            int completed = 0;
            String diverged = null;
            for (int r = 0; r < plan.rounds(); r++) {
                int step = plan.stepOf(r);
                double testLoss = Double.NaN;
                double testAcc = Double.NaN;
                if (plan.sampled(r)) {
                    long s0 = System.nanoTime();
                    double[] te = trial.test();
                    testLoss = te[0];
                    testAcc = te[1];
                    TrialRunner.Sample m = trial.measure(step);
                    layerStats.addAll(m.rows());
                    nonFinite += m.nonFinite();
                    underflow |= m.underflow(c.residual());
                    double[] f = m.flows(step, c.residual());
                    flows.add(f);
                    if (r == 0) {
                        flowDeltaOutInit = f[4];
                    }
                    statsNanos += System.nanoTime() - s0;
                }
                double loss = trial.round();
                losses[r] = loss;
                completed = plan.stepOf(r + 1);
                curve.add(new CurvePoint(id, step, loss, testLoss, testAcc));
                if (!Double.isFinite(loss)) {
                    diverged = "the training loss became " + loss + " in averaging round " + r + " (step " + step + ")";
                    break;
                }
            }
            double finalTrainLoss = Double.NaN;
            double finalTestLoss = Double.NaN;
            double finalTestAcc = Double.NaN;
            if (diverged == null) {
                long s0 = System.nanoTime();
                finalTrainLoss = trial.trainLoss();
                double[] te = trial.test();
                finalTestLoss = te[0];
                finalTestAcc = te[1];
                statsNanos += System.nanoTime() - s0;
            }
            double[] init = TrialRunner.initialFlows(flows);
            double[] trainMeans = TrialRunner.trainingMeans(flows);
            Verdict verdict = diverged != null ? Verdict.DIVERGED
                    : TrialRunner.judge(c, init, trainMeans, nonFinite, underflow);
            // Losses are per round; targets and windows are in rounds, reported in steps.
            int roundsRun = Math.max(1, completed / plan.averagingFrequency());
            double[] run = Arrays.copyOf(losses, Math.min(roundsRun, losses.length));
            int window = Math.min(TrialRunner.TARGET_WINDOW, plan.rounds());
            int toTargetRound = Stats.stepsToTarget(run, c.targetLoss(), window);
            int toTarget = toTargetRound < 0 ? -1 : plan.stepOf(toTargetRound);
            double best = Stats.minTrailingMean(run, window);
            double[] theory = TrialRunner.theory(c, trial.features());
            long roundWall = trial.roundWallMs();
            long averaging = RoundPlan.communicationMs(roundWall, trial.workerFitMs(), trial.workers());
            long trainMs = Math.max(0, roundWall - averaging);
            long statsMs = statsNanos / 1_000_000;
            long wallMs = (System.nanoTime() - wall0) / 1_000_000;
            TrialSummary s = new TrialSummary(c, verdict, diverged, null, Math.min(completed, plan.steps()), underflow,
                    init[1], trainMeans[0], flowDeltaOutInit, init[2], trainMeans[1], init[3], trainMeans[2],
                    finalTrainLoss, best, finalTestLoss, finalTestAcc, toTarget, wallMs, trainMs, statsMs,
                    withExecutors(prov, trial.executors()), theory[0], theory[1], trainMeans[3],
                    // DL4J Spark's workers run no gradflow listener, so a clipping rule is not applied there
                    c.clip().isNone() ? 0.0 : Double.NaN, averaging);
            return new TrialResult(s, layerStats, curve);
        }
    }

    private static Provenance withExecutors(Provenance p, String executors) {
        return new Provenance(p.gradflowVersion(), p.dl4jVersion(), p.sparkVersion(), p.javaVersion(), p.blasCore(), p.host(),
                executors.isEmpty() ? p.executorId() : executors, p.startedAtMillis());
    }
}
