package io.gradflow.grid;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * How one trial is trained: as one Spark task ({@code task}, the default), or data-parallel across the executors
 * with DL4J Spark's parameter averaging ({@code data}). A data trial runs {@code workers} copies of the network,
 * each fitting {@code batchSizePerWorker} examples per local step, and averages parameters and updater state after
 * every {@code averagingFrequency} local steps: one averaging round. Its {@code steps} count local steps of each
 * worker, so a round is {@code averagingFrequency} steps and every step consumes {@code workers × batchSizePerWorker}
 * examples across the cluster.
 *
 * @param mode               task or data
 * @param workers            data: workers (Spark partitions per round); 0 = every executor core of the cluster
 * @param batchSizePerWorker data: examples per worker per local step; 0 = the trial's batch_size
 * @param averagingFrequency data: local steps between two parameter averagings
 */
public record Parallelism(Mode mode, int workers, int batchSizePerWorker, int averagingFrequency) implements Serializable {

    /** The two ways a trial can be trained. */
    public enum Mode {
        /** One Spark task trains the whole trial (gradflow's original path). */
        TASK,
        /** DL4J Spark's ParameterAveragingTrainingMaster trains it on every executor. */
        DATA;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Mode parse(String text) {
            for (Mode m : values()) {
                if (m.key().equals(text)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("parallelism '" + text + "' is not supported; choose one of task, data"
                    + ("shared".equals(text) ? " (shared, DL4J's gradient sharing, is not available: see the README)" : ""));
        }
    }

    public static final int MAX_WORKERS = 4096;
    public static final int MAX_AVERAGING_FREQUENCY = 10_000;

    public Parallelism {
        Objects.requireNonNull(mode, "mode");
        TrialConfig.checkRange("workers", workers, 0, MAX_WORKERS);
        TrialConfig.checkRange("batch_size_per_worker", batchSizePerWorker, 0, TrialConfig.MAX_BATCH);
        TrialConfig.checkRange("averaging_frequency", averagingFrequency, 1, MAX_AVERAGING_FREQUENCY);
        if (mode == Mode.TASK && (workers != 0 || batchSizePerWorker != 0 || averagingFrequency != 1)) {
            throw new IllegalArgumentException("workers " + workers + ", batch_size_per_worker " + batchSizePerWorker
                    + " and averaging_frequency " + averagingFrequency + " only apply to parallelism: data; leave them "
                    + "out (or at 0, 0 and 1) for parallelism: task");
        }
    }

    /** Today's behaviour: one trial, one task. */
    public static Parallelism task() {
        return new Parallelism(Mode.TASK, 0, 0, 1);
    }

    public boolean isData() {
        return mode == Mode.DATA;
    }

    /** Examples per worker per local step of a trial whose batch_size is {@code batchSize}. */
    public int batchPerWorker(int batchSize) {
        return batchSizePerWorker > 0 ? batchSizePerWorker : batchSize;
    }

    /**
     * The text appended to {@link TrialConfig#canonical()}: empty for task trials, so that every existing trial
     * keeps its id.
     */
    public String canonical() {
        if (mode == Mode.TASK) {
            return "";
        }
        return ";parallelism=" + mode.key() + ";workers=" + workers + ";batch_size_per_worker=" + batchSizePerWorker
                + ";averaging_frequency=" + averagingFrequency;
    }
}
