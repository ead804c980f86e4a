package io.gradflow.model;

/**
 * Working arrays per thread, in numbered slots, each grown when a longer one is asked for and otherwise reused: for
 * arrays needed only within one call (a layer's forward or backward pass), so that one set per thread serves every
 * layer and step instead of a set per layer on the heap, and a step allocates nothing once the slots have grown.
 * A slot's contents are whatever the previous user left.
 */
final class ThreadScratch {

    private final ThreadLocal<double[][]> slots;

    /** {@code count} slots per thread, empty until first asked for. */
    ThreadScratch(int count) {
        slots = ThreadLocal.withInitial(() -> new double[count][0]);
    }

    /** This thread's slot {@code which}, at least {@code length} values long. */
    double[] get(int which, long length) {
        double[][] s = slots.get();
        if (s[which].length < length) {
            s[which] = new double[Math.toIntExact(length)];
        }
        return s[which];
    }
}
