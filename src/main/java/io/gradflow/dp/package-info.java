/**
 * Data-parallel trials ({@code training.parallelism: data}): one trial trained with DL4J Spark's
 * {@code SparkComputationGraph} and {@code ParameterAveragingTrainingMaster} on every executor, measured on the
 * driver with the task trials' own statistics code. {@link io.gradflow.dp.RoundPlan} and
 * {@link io.gradflow.dp.MinibatchOrder} are the pure core (which rounds are sampled, which examples each worker
 * fits in each round, how a round's time splits); {@link io.gradflow.dp.DataParallelTrial} and
 * {@link io.gradflow.dp.DataParallelRunner} are the thin Spark part.
 */
package io.gradflow.dp;
