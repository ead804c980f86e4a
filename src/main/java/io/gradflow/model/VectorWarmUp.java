package io.gradflow.model;

/**
 * A Vector API loop's warm-up: its body runs once per JVM, on the first real call (not in a static initializer:
 * code compiled while its class is being initialized is thrown away after), and concurrent first callers wait for it.
 * Why: until C2 compiles it, Vector API code runs interpreted, each operation an object: the first 100 calls of
 * {@link VectorExp} on a 64 × 64 block took about 530 ms (2,100 ns per element at first), where 6,000 calls on 16
 * elements take about 200 ms and leave it compiled (2.9–3.9 ns per element right after). The results are the same
 * bits either way. {@link FastExp}, {@link ExactTanh}, {@link VectorLoops}, {@link VectorBlockLoops} and the statistics
 * ({@code trial.VectorStats}) each keep one.
 */
public final class VectorWarmUp {

    private final Runnable body;
    private volatile boolean done;

    /** {@code body} calls the loop often enough on small arrays for the JIT to compile it. */
    public VectorWarmUp(Runnable body) {
        this.body = body;
    }

    /** Runs the body unless it has run. */
    public void ensure() {
        if (!done) {
            run();
        }
    }

    private synchronized void run() {
        if (!done) {
            body.run();
            done = true;
        }
    }
}
