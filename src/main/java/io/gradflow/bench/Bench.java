package io.gradflow.bench;

import io.gradflow.data.Dataset;
import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetSpec;
import io.gradflow.data.Datasets;
import io.gradflow.grid.Activation;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.NetworkFactory;
import io.gradflow.spark.SparkSessions;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
import io.gradflow.trial.NativeMemory;
import io.gradflow.trial.NativeThreads;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The measurements of {@code gradflow bench}. Each returns plain numbers; {@link BenchReport} renders them. */
public final class Bench {

    /** Inputs, classes and learning rate of the per-step benchmark's networks (the PyTorch reference uses them too). */
    public static final int STEP_FEATURES = 16;
    public static final int STEP_CLASSES = 10;
    public static final double STEP_LEARNING_RATE = 0.01;

    private Bench() {
    }

    /** Median of a sample (the upper one of the middle pair for even sizes). */
    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /**
     * Single-thread SGEMM rate through ND4J: C = A·B for n×n float matrices, 2n³ flops each.
     *
     * @return {median GFLOP/s, min, max}
     */
    public static double[] sgemm(int n, int repeats) {
        NativeThreads.limitToOne();
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        a.mmuli(b, c); // warm-up
        double[] rates = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            a.mmuli(b, c);
            double s = (System.nanoTime() - t0) / 1e9;
            rates[i] = 2.0 * n * n * n / s / 1e9;
        }
        return new double[]{median(rates), Arrays.stream(rates).min().orElse(0), Arrays.stream(rates).max().orElse(0)};
    }

    /**
     * How much this machine gives two single-threaded compute kernels over one: rounds alternate one thread of
     * SGEMM alone with two threads of SGEMM side by side (each on its own matrices), so that a change in the
     * machine's load hits both. No sweep can scale from {@code local[1]} to {@code local[2]} better than this.
     *
     * @return {median GFLOP/s of one thread alone, median aggregate GFLOP/s of two threads, median of the
     *         per-round ratios}
     */
    public static double[] sgemmScaling(int n, int rounds, int repeatsPerRound) throws InterruptedException {
        NativeThreads.limitToOne();
        double[] one = new double[rounds];
        double[] two = new double[rounds];
        double[] ratio = new double[rounds];
        sgemmThreads(n, 1, repeatsPerRound); // warm-up
        for (int r = 0; r < rounds; r++) {
            one[r] = sgemmThreads(n, 1, repeatsPerRound);
            two[r] = sgemmThreads(n, 2, repeatsPerRound);
            ratio[r] = two[r] / one[r];
        }
        return new double[]{median(one), median(two), median(ratio)};
    }

    /** Aggregate GFLOP/s of {@code threads} threads each running {@code repeats} n×n SGEMMs, started together. */
    private static double sgemmThreads(int n, int threads, int repeats) throws InterruptedException {
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        long[] nanos = new long[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int k = t;
            ts[t] = new Thread(() -> {
                INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
                INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
                INDArray c = Nd4j.create(DataType.FLOAT, n, n);
                a.mmuli(b, c);
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < repeats; i++) {
                    a.mmuli(b, c);
                }
                nanos[k] = System.nanoTime() - t0;
                NativeMemory.close(a, b, c);
            }, "sgemm-" + t);
            ts[t].start();
        }
        long slowest = 0;
        for (int t = 0; t < threads; t++) {
            ts[t].join();
            slowest = Math.max(slowest, nanos[t]);
        }
        return threads * repeats * 2.0 * n * n * n / (slowest / 1e9) / 1e9;
    }

    /** A network shape of the per-step benchmark. */
    public record Shape(int width, int depth, boolean batchnorm, boolean residual) {
        public String kind() {
            return batchnorm ? "bn" : residual ? "residual" : "plain";
        }

        /** Multiply-adds per example in the hidden blocks and projections, times 6 for forward + backward flops. */
        public double flopsPerStep(int batch, int features, int classes) {
            double macs = (double) features * width + (double) depth * width * width + (double) width * classes;
            return 6.0 * batch * macs;
        }
    }

    /** The result of one per-step measurement. */
    public record StepTiming(Shape shape, double msPerStep, double msMin, double msMax, double gflops) {

        /**
         * Several rounds of one shape as one timing: the median of the rounds' medians, the least minimum, the
         * greatest maximum, and the GFLOP/s at that median.
         */
        public static StepTiming overRounds(List<StepTiming> rounds, int batch) {
            if (rounds.isEmpty()) {
                throw new IllegalArgumentException("A timing over rounds needs at least one round.");
            }
            Shape s = rounds.get(0).shape();
            double med = median(rounds.stream().mapToDouble(StepTiming::msPerStep).toArray());
            double min = rounds.stream().mapToDouble(StepTiming::msMin).min().orElseThrow();
            double max = rounds.stream().mapToDouble(StepTiming::msMax).max().orElseThrow();
            return new StepTiming(s, med, min, max, s.flopsPerStep(batch, STEP_FEATURES, STEP_CLASSES) / (med / 1e3) / 1e9);
        }
    }

    /** The least time a per-step measurement trains before its timed steps (JIT warm-up). */
    static final long WARM_UP_NANOS = 1_500_000_000L;

    /**
     * Per-step training time of a network in DL4J's {@code fit} with no statistics attached, over random
     * minibatches fed as prepared arrays (so the feeding cost is not counted).
     */
    public static StepTiming step(Shape shape, int batch, int steps) {
        return step(shape, batch, steps, Activation.RELU);
    }

    /** {@link #step} with another activation (for profiling; the harness's shapes use ReLU, as PyTorch's do). */
    public static StepTiming step(Shape shape, int batch, int steps, Activation activation) {
        NativeThreads.limitToOne();
        int features = STEP_FEATURES;
        int classes = STEP_CLASSES;
        TrialConfig c = new TrialConfig(activation, InitSpec.of(InitSpec.Kind.HE), shape.batchnorm(), shape.residual(),
                shape.depth(), shape.width(), steps, batch, Optimizer.SGD, STEP_LEARNING_RATE, Precision.FLOAT, 1, syntheticSpec(),
                StatsSchedule.log2(), 1.0, HealthThresholds.defaults());
        ComputationGraph g = NetworkFactory.build(c, features, classes).graph();
        INDArray x = Nd4j.randn(DataType.FLOAT, batch, features);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % classes, 1f);
        }
        DataSet ds = new DataSet(x, y);
        // At least a fifth of the timed steps and at least WARM_UP_NANOS: the first shapes of a run otherwise ran
        // on code the JIT had not compiled yet (64 × 10 was measured 3× slower first in the run than alone).
        int warm = Math.max(3, steps / 5);
        long warmStart = System.nanoTime();
        for (int i = 0; i < warm || System.nanoTime() - warmStart < WARM_UP_NANOS; i++) {
            g.fit(ds);
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            g.fit(ds);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double med = median(ms);
        double gflops = shape.flopsPerStep(batch, features, classes) / (med / 1e3) / 1e9;
        NativeMemory.release(g);
        NativeMemory.close(x, y);
        NativeMemory.destroyThreadWorkspaces();
        return new StepTiming(shape, med, Arrays.stream(ms).min().orElse(0), Arrays.stream(ms).max().orElse(0), gflops);
    }

    /** Trials with and without statistics that {@link #statsOverhead} runs before it measures. */
    private static final int WARM_UP_TRIALS = 3;

    /**
     * The statistics overhead, two ways: {median train+stats ms with statistics, median without, overhead % from
     * the two medians, the time measured inside the statistics code (the sampled steps' probes and weight-gradient
     * listener, {@link TrialRunner#fitAndRecordingNanos}) as % of the training time without it, over all the runs
     * with statistics}. The second does not depend on two noisy totals; the sampled steps' test-set evaluations run
     * with and without statistics, so they are in neither.
     */
    public static double[] statsOverhead(TrialConfig c, Dataset data, int repeats) {
        double[] with = new double[repeats];
        double[] without = new double[repeats];
        long recording = 0;
        long fit = 0;
        // Warm-up of both code paths: the JIT's compilations of the statistics code and the vector loops' one-off
        // warm-ups (VectorWarmUp) are the JVM's, not a trial's. One trial with statistics was not enough: a sampled
        // step calls each statistic once per block, ten steps a trial, and the first measurement after it read 10.7%
        // where the next read 3.4% (BENCHMARKS.md).
        for (int i = 0; i < WARM_UP_TRIALS; i++) {
            TrialRunner.run(c, data, RunOptions.standalone());
            TrialRunner.run(c, data, RunOptions.standalone().withoutStatistics());
        }
        for (int i = 0; i < repeats; i++) {
            // interleaved, so drift in machine load hits both sides alike
            long[] n0 = TrialRunner.fitAndRecordingNanos();
            TrialResult on = TrialRunner.run(c, data, RunOptions.standalone());
            long[] n1 = TrialRunner.fitAndRecordingNanos();
            recording += n1[0] - n0[0];
            fit += n1[1] - n0[1];
            TrialResult off = TrialRunner.run(c, data, RunOptions.standalone().withoutStatistics());
            with[i] = on.summary().trainTimeMs() + on.summary().statsTimeMs();
            without[i] = off.summary().trainTimeMs() + off.summary().statsTimeMs();
        }
        double w = median(with);
        double wo = median(without);
        return new double[]{w, wo, 100.0 * (w - wo) / wo, 100.0 * recording / Math.max(1, fit - recording)};
    }

    /** The trial whose statistics overhead the harness measures: a plain block network, depth closest to 10. */
    public static TrialConfig overheadTrial(GridSpec g) {
        return Grid.expand(g).stream().filter(t -> !t.batchnorm() && !t.residual().hasSkip() && t.clip().isNone())
                .min(java.util.Comparator.comparingInt(t -> Math.abs(t.depth() - 10)))
                .orElseThrow(() -> new IllegalArgumentException("grid " + g.name() + " has no trial without batch norm and residual blocks"));
    }

    /**
     * One sweep's scheduling figures, the mean final test accuracy of its trials (a check, next to the PyTorch
     * loop's, that both trained alike), and the Σ of its trials' wall times per activation.
     */
    public record SweepTiming(String master, int trials, int slots, double wallSeconds, double taskSeconds,
                              double efficiency, double meanTestAccuracy, Map<String, Double> secondsByActivation) {
        public SweepTiming {
            secondsByActivation = Map.copyOf(secondsByActivation);
        }
    }

    /**
     * Runs the first {@code limit} trials of a grid on an in-process Spark with the given master and measures
     * Σ task time / (slots × wall time) of the Spark job (the sweep's wall time less its data build and writing).
     */
    public static SweepTiming sweep(GridSpec spec, int limit, String master, Path out) throws Exception {
        GridSpec cut = cut(spec, limit);
        int n = Grid.expand(cut).size();
        SparkSession spark = SparkSessions.create(master, Map.of("spark.ui.enabled", "false"), "gradflow bench");
        try {
            int slots = spark.sparkContext().defaultParallelism();
            long t0 = System.nanoTime();
            SweepOutcome o = SweepJob.run(spark, cut, out.toString(), true, null);
            double wall = (System.nanoTime() - t0) / 1e9;
            if (!o.complete()) {
                throw new IllegalStateException("benchmark sweep did not complete: " + o.error());
            }
            // One read, by activation; the sweep's figures are the sums, the least start and the latest end over them.
            List<Row> rows = spark.read().parquet(o.directory() + "/trials").groupBy("activation")
                    .agg(org.apache.spark.sql.functions.expr("sum(wall_time_ms)"),
                            org.apache.spark.sql.functions.expr("max(cast(started_at as double) * 1000 + wall_time_ms)"),
                            org.apache.spark.sql.functions.expr("min(cast(started_at as double) * 1000)"),
                            org.apache.spark.sql.functions.expr("sum(test_accuracy)"),
                            org.apache.spark.sql.functions.expr("count(test_accuracy)"))
                    .collectAsList();
            Map<String, Double> byActivation = new java.util.HashMap<>();
            double taskSeconds = 0;
            double end = Double.NEGATIVE_INFINITY;
            double start = Double.POSITIVE_INFINITY;
            double accSum = 0;
            long accN = 0;
            for (Row r : rows) {
                byActivation.put(r.getString(0), r.getLong(1) / 1e3);
                taskSeconds += r.getLong(1) / 1e3;
                end = Math.max(end, r.getDouble(2));
                start = Math.min(start, r.getDouble(3));
                accSum += r.isNullAt(4) ? 0 : r.getDouble(4);
                accN += r.getLong(5);
            }
            double jobSeconds = (end - start) / 1e3;
            double acc = accN == 0 ? Double.NaN : accSum / accN;
            return new SweepTiming(master, n, slots, wall, taskSeconds, taskSeconds / (slots * jobSeconds), acc, byActivation);
        } finally {
            spark.stop();
        }
    }

    /**
     * The trials {@link #sweep} runs for {@code limit}: the first ones, completed to whole remedy combinations (all
     * their seeds), so possibly a few more than {@code limit}.
     */
    public static List<TrialConfig> sweepTrials(GridSpec spec, int limit) {
        return Grid.expand(cut(spec, limit));
    }

    private static GridSpec cut(GridSpec spec, int limit) {
        return limit >= Grid.expand(spec).size() ? spec : BenchGrids.firstTrials(spec, limit);
    }

    /** Peak resident memory of this JVM so far (VmHWM), in MiB; -1 where /proc is not available. */
    public static long peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (Exception e) {
            // not Linux: no figure
        }
        return -1;
    }

    private static DatasetSpec syntheticSpec() {
        return new DatasetSpec(DatasetKind.BLOBS, 100, 10, 16, 1.0, 0.2, 1, null, null);
    }

    /** The shapes the issue names: widths 64 and 256, depths 10 and 50, plain, batch norm and residual. */
    public static List<Shape> shapes(boolean quick) {
        List<Shape> out = new ArrayList<>();
        int[] widths = quick ? new int[]{16} : new int[]{64, 256};
        int[] depths = quick ? new int[]{2} : new int[]{10, 50};
        for (int w : widths) {
            for (int d : depths) {
                out.add(new Shape(w, d, false, false));
                out.add(new Shape(w, d, true, false));
                out.add(new Shape(w, d, false, true));
            }
        }
        return out;
    }
}
