package io.gradflow.dp;

import io.gradflow.data.Dataset;
import io.gradflow.trial.NativeMemory;
import io.gradflow.trial.TrialRunner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * A data trial's data held by the driver (built-in datasets, and user files when the grid also has task trials):
 * the global minibatches are {@link MinibatchOrder}'s, the ones a task trial with batch {@code workers × b} and
 * the same seed draws, each split into the workers' shards and shipped with the round (this is what makes the
 * equivalence with a task trial exact); evaluation runs on the driver with the task trials' code.
 */
public final class DriverData implements TrialData {

    private final JavaSparkContext sc;
    private final Dataset data;
    private final int workers;
    private final int frequency;
    private final INDArray trainX;
    private final INDArray trainY;
    private final INDArray testX;
    private final MinibatchOrder order;
    private int[] pending;

    /**
     * @param seed      the user's seed of the trial
     * @param workers   workers per round
     * @param perWorker examples per worker minibatch
     * @param frequency minibatches per worker per round
     */
    public DriverData(JavaSparkContext sc, Dataset data, long seed, int workers, int perWorker, int frequency, DataType dt) {
        this.sc = sc;
        this.data = data;
        this.workers = workers;
        this.frequency = frequency;
        this.trainX = TrialRunner.matrix(data.trainX(), data.trainSize(), data.features(), dt);
        this.trainY = TrialRunner.oneHot(data.trainY(), data.classes(), dt);
        this.testX = TrialRunner.matrix(data.testX(), data.testSize(), data.features(), dt);
        this.order = new MinibatchOrder(seed, data.trainSize(), workers * perWorker);
    }

    @Override
    public int features() {
        return data.features();
    }

    @Override
    public int classes() {
        return data.classes();
    }

    @Override
    public long trainSize() {
        return data.trainSize();
    }

    @Override
    public DataSet probe() {
        if (pending == null) {
            pending = order.next();
        }
        return minibatch(pending);
    }

    @Override
    public JavaRDD<DataSet> nextRound() {
        List<DataSet> shards = new ArrayList<>(workers * frequency);
        int[][] globals = new int[frequency][];
        for (int s = 0; s < frequency; s++) {
            globals[s] = pending != null ? pending : order.next();
            pending = null;
        }
        // parallelize slices a list into contiguous runs: worker w's partition holds its f minibatches in order.
        for (int w = 0; w < workers; w++) {
            for (int s = 0; s < frequency; s++) {
                shards.add(minibatch(MinibatchOrder.shard(globals[s], w, workers)));
            }
        }
        return sc.parallelize(shards, workers);
    }

    @Override
    public double[] test(SparkComputationGraph s, ComputationGraph g) {
        return TrialRunner.evaluate(g, testX, data.testY());
    }

    @Override
    public double trainLoss(SparkComputationGraph s, ComputationGraph g) {
        return TrialRunner.evaluate(g, trainX, data.trainY())[0];
    }

    private DataSet minibatch(int[] rows) {
        return new DataSet(Nd4j.pullRows(trainX, 1, rows), Nd4j.pullRows(trainY, 1, rows));
    }

    @Override
    public void close() {
        NativeMemory.close(trainX, trainY, testX);
    }
}
