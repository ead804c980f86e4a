package io.gradflow.dp;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The data one data-parallel trial trains on, wherever they are: {@link DriverData} (a built-in or collected
 * dataset held by the driver, sliced into the task trials' minibatches) or {@link DistributedData} (a user file
 * read by Spark, whose training rows never reach the driver). A {@link DataParallelTrial} asks for each averaging
 * round's data and for its evaluations; everything else about the trial is the same for both.
 */
public interface TrialData extends AutoCloseable {

    /** Opens a trial's view of its data once its workers and batch sizes are known. */
    @FunctionalInterface
    interface Source {
        /**
         * @param workers   workers per averaging round
         * @param perWorker examples per worker minibatch
         * @param frequency minibatches per worker per round
         * @param dt        the network's floating-point type
         */
        TrialData open(int workers, int perWorker, int frequency, org.nd4j.linalg.api.buffer.DataType dt);
    }

    /** Input features per example. */
    int features();

    /** Number of classes. */
    int classes();

    /** Training examples available (for the check that one global minibatch fits). */
    long trainSize();

    /** The first global minibatch ({@code workers × batch_size_per_worker} rows): the driver's probe batch. */
    DataSet probe();

    /**
     * The next averaging round's training data: {@code workers} partitions, partition w holding worker w's
     * {@code averaging_frequency} minibatches of {@code batch_size_per_worker} rows in the order it fits them.
     */
    JavaRDD<DataSet> nextRound();

    /** Test-set {mean cross-entropy, accuracy} of {@code g} (the driver's network; {@code s} wraps it). */
    double[] test(SparkComputationGraph s, ComputationGraph g);

    /** Mean cross-entropy of {@code g} over the training examples. */
    double trainLoss(SparkComputationGraph s, ComputationGraph g);

    /** Releases what this trial's view holds (not the shared distributed dataset). */
    @Override
    void close();
}
