package io.gradflow.dp;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Parallelism;
import io.gradflow.grid.Precision;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.Network;
import io.gradflow.model.NetworkFactory;
import io.gradflow.trial.GradientFlowListener;
import io.gradflow.trial.NativeMemory;
import io.gradflow.trial.TrialRunner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.stats.ParameterAveragingTrainingMasterStats;
import org.deeplearning4j.spark.impl.paramavg.stats.ParameterAveragingTrainingWorkerStats;
import org.deeplearning4j.spark.stats.EventStats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * One data-parallel trial in progress, on the driver: the network {@link NetworkFactory} builds (its probe attached,
 * so the driver can measure it), wrapped in DL4J Spark's {@link SparkComputationGraph} with a
 * {@link ParameterAveragingTrainingMaster}. Each {@link #round()} ships the round's minibatches to the workers as
 * one Spark job, one partition per worker, and leaves the averaged parameters and updater state in the driver's
 * network. {@link #measure(int)} runs the task trials' armed step on the fixed probe minibatch (the first global
 * minibatch) and then puts the averaged state back, so that measuring never changes the training.
 *
 * <p>Each round's data come from a {@link TrialData}: the driver's ({@link DriverData}: {@link MinibatchOrder} over
 * a built-in or collected dataset, evaluated on the driver) or Spark's ({@link DistributedData}: a user file whose
 * training rows stay in the executors, evaluated there by partitions that rebuild the network from its JSON and
 * the broadcast parameters). Workers rebuild the graph for training from the configuration by Java serialization.
 */
public final class DataParallelTrial implements AutoCloseable {

    private final JavaSparkContext sc;
    private final TrialConfig config;
    private final TrialData data;
    private final Network net;
    private final GradientFlowListener listener;
    private final SparkComputationGraph spark;
    private final int workers;
    private final int perWorker;
    private final int frequency;
    private final DataType dtype;
    private final DataSet probeBatch;
    private final Set<String> executors = new ConcurrentSkipListSet<>();
    private final SparkListener taskListener;
    private long roundWallNanos;
    private long workerFitMs;
    private long masterFitMs;

    /**
     * @param sc     the sweep's Spark context
     * @param config a trial with {@code parallelism: data}
     * @param data   the trial's data, held by the driver
     */
    public DataParallelTrial(JavaSparkContext sc, TrialConfig config, Dataset data) {
        this(sc, config, driverData(sc, config, data), null);
    }

    /** The source of a trial's data held by the driver ({@link DriverData}). */
    public static TrialData.Source driverData(JavaSparkContext sc, TrialConfig config, Dataset data) {
        return (workers, perWorker, frequency, dt) -> {
            long global = (long) workers * perWorker;
            if (global > data.trainSize()) {
                throw new IllegalArgumentException("workers " + workers + " × batch_size_per_worker " + perWorker + " = "
                        + global + " examples per step exceed the " + data.trainSize() + " training examples of dataset "
                        + data.name() + "; use fewer workers or a smaller batch_size_per_worker");
            }
            return new DriverData(sc, data, config.seed(), workers, perWorker, frequency, dt);
        };
    }

    /**
     * A data trial on the data {@code source} opens for its workers and batch sizes, whose warm start
     * ({@code init: pretrained(...)}) reads its model from {@code models}.
     */
    public DataParallelTrial(JavaSparkContext sc, TrialConfig config, TrialData.Source source,
                             io.gradflow.model.ModelFiles models) {
        useSystemClock();
        Parallelism p = config.parallelism();
        if (!p.isData()) {
            throw new IllegalArgumentException("trial " + config.trialId() + " has parallelism " + p.mode().key()
                    + "; only parallelism: data trials train with DL4J Spark");
        }
        this.sc = sc;
        this.config = config;
        this.workers = p.workers() > 0 ? p.workers() : sc.defaultParallelism();
        this.perWorker = p.batchPerWorker(config.batchSize());
        this.frequency = p.averagingFrequency();
        this.dtype = config.dtype() == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        this.data = source.open(workers, perWorker, frequency, dtype);
        this.net = NetworkFactory.build(config, data.features(), data.classes(), models);
        this.listener = new GradientFlowListener(net.probe());
        net.graph().setListeners(listener);

        ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(workers, perWorker)
                .batchSizePerWorker(perWorker)
                .averagingFrequency(frequency)
                // Workers fit exactly the minibatches they are given, in order: no prefetch thread, no reshuffle.
                .workerPrefetchNumBatches(0)
                .repartionData(Repartition.Never)
                .saveUpdater(true)
                // Direct: the default Export approach writes minibatches to the default file system, which on a
                // cluster without HDFS is each machine's own disk.
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                // Each round's RDD is used once (count + fit); persisting it would only pile up cached blocks.
                .storageLevel(null)
                .collectTrainingStats(true)
                .rngSeed(config.rngSeed())
                .build();
        this.spark = new SparkComputationGraph(sc, net.graph(), tm);
        this.spark.setCollectTrainingStats(true);
        // The executors that ran this trial's workers: data trials run one at a time, so every task is ours.
        this.taskListener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd e) {
                executors.add(e.taskInfo().executorId());
            }
        };
        sc.sc().addSparkListener(taskListener);
        this.probeBatch = data.probe();
    }


    /** DL4J's property naming the clock of its training statistics. */
    public static final String TIME_SOURCE_PROPERTY = "org.deeplearning4j.spark.time.TimeSource";
    /** The clock gradflow uses: the machine's own. */
    public static final String SYSTEM_CLOCK = "org.deeplearning4j.spark.time.SystemClockTimeSource";

    /**
     * DL4J Spark's training statistics timestamp events with an NTP clock by default, which queries
     * 0.pool.ntp.org and fails after 10 tries where there is no network; durations need no synchronized clock.
     * The executors get the same property from {@link io.gradflow.spark.SparkSettings}.
     */
    static void useSystemClock() {
        if (System.getProperty(TIME_SOURCE_PROPERTY) == null) {
            System.setProperty(TIME_SOURCE_PROPERTY, SYSTEM_CLOCK);
        }
    }

    /** The driver's network: after a round it holds the averaged parameters and updater state. */
    public ComputationGraph graph() {
        return net.graph();
    }

    public Network network() {
        return net;
    }

    public int workers() {
        return workers;
    }

    /** The fixed minibatch the driver measures on: the trial's first global minibatch. */
    public DataSet probeBatch() {
        return probeBatch;
    }

    /**
     * Runs the task trials' armed step on the probe minibatch with the current averaged network and returns its
     * measurements, recorded at {@code step}; then restores parameters, updater state and iteration count.
     */
    public TrialRunner.Sample measure(int step) {
        ComputationGraph g = net.graph();
        INDArray params = g.params().dup();
        INDArray state = g.getUpdater() == null || g.getUpdater().getStateViewArray() == null ? null
                : g.getUpdater().getStateViewArray().dup();
        int iteration = g.getConfiguration().getIterationCount();
        int epoch = g.getConfiguration().getEpochCount();
        net.probe().arm(true);
        listener.reset();
        try {
            g.fit(probeBatch);
        } finally {
            net.probe().arm(false);
        }
        double loss = g.score();
        TrialRunner.Sample s = TrialRunner.sample(config.trialId(), step, config.depth(), net.probe(), listener, loss);
        g.setParams(params);
        if (state != null) {
            g.getUpdater().getStateViewArray().assign(state);
        }
        g.getConfiguration().setIterationCount(iteration);
        g.getConfiguration().setEpochCount(epoch);
        lastMeasuredLoss = loss;
        return s;
    }

    private double lastMeasuredLoss = Double.NaN;

    /** The loss of the probe minibatch at the last {@link #measure}, before its (undone) update. */
    public double lastMeasuredLoss() {
        return lastMeasuredLoss;
    }

    /**
     * One averaging round: every worker fits {@code averagingFrequency} minibatches of {@code batchSizePerWorker}
     * examples, then DL4J averages. Returns the mean over workers of their last minibatch's loss (before its update).
     */
    public double round() {
        JavaRDD<DataSet> shards = data.nextRound();
        long t0 = System.nanoTime();
        spark.fit(shards);
        roundWallNanos += System.nanoTime() - t0;
        collectStats();
        return spark.getScore();
    }

    private void collectStats() {
        SparkTrainingStats st = spark.getSparkTrainingStats();
        if (st == null) {
            return;
        }
        masterFitMs += sum(st, ParameterAveragingTrainingMasterStats.PARAMETER_AVERAGING_MASTER_FIT_TIMES_MS);
        SparkTrainingStats nested = st.getNestedTrainingStats();
        if (nested != null) {
            workerFitMs += sum(nested, ParameterAveragingTrainingWorkerStats.PARAMETER_AVERAGING_WORKER_FIT_TIMES_MS);
        }
        // DL4J's stats accumulate over fit calls; a fresh collector per round keeps each round counted once.
        spark.getTrainingMaster().setCollectTrainingStats(false);
        spark.getTrainingMaster().setCollectTrainingStats(true);
    }

    private static long sum(SparkTrainingStats st, String key) {
        if (!st.getKeySet().contains(key)) {
            return 0;
        }
        long total = 0;
        for (EventStats e : st.getValue(key)) {
            total += e.getDurationMs();
        }
        return total;
    }

    /** Wall time of the rounds' fit calls on the driver. */
    public long roundWallMs() {
        return roundWallNanos / 1_000_000;
    }

    /** The workers' fit times summed over workers and rounds, from DL4J's SparkTrainingStats. */
    public long workerFitMs() {
        return workerFitMs;
    }

    /** The executors whose tasks ran during this trial, comma-separated. */
    public String executors() {
        return String.join(",", new TreeSet<>(executors));
    }

    /** Test-set {mean cross-entropy, accuracy} of the driver's (averaged) network. */
    public double[] test() {
        return data.test(spark, net.graph());
    }

    /** Mean cross-entropy of the driver's network over the training examples. */
    public double trainLoss() {
        return data.trainLoss(spark, net.graph());
    }

    /** Input features of the trial's data. */
    public int features() {
        return data.features();
    }

    @Override
    public void close() {
        sc.sc().removeSparkListener(taskListener);
        NativeMemory.release(net.graph());
        data.close();
    }
}
