package io.gradflow.trial;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Limits ND4J's native thread pools to one thread. Each Spark task trains one network on one core; two OpenMP
 * threads per task on two cores made a run 27 times slower, and results are only bit-identical at a fixed
 * thread count. {@code OMP_NUM_THREADS=1} in the environment is the primary setting (the launcher and
 * {@code spark.executorEnv} set it); this call covers JVMs started without it.
 */
public final class NativeThreads {

    private static volatile boolean done;

    private NativeThreads() {
    }

    public static synchronized void limitToOne() {
        if (done) {
            return;
        }
        OpenBlasCore.configure(); // before ND4J loads OpenBLAS; a no-op if that already happened
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        try {
            Nd4j.factory().blas().setMaxThreads(1);
        } catch (RuntimeException e) {
            // Some BLAS builds do not expose a thread setting; OMP_NUM_THREADS then governs.
        }
        done = true;
    }
}
