package io.gradflow.dp;

import io.gradflow.model.CommonRandom;
import io.gradflow.trial.TrialRunner;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The global minibatches of a trial, in the order a task trial with the same seed and batch size draws them
 * (common random numbers: a permutation from the seed and the shapes, drawn again when it runs out), and the
 * worker's share of each: worker w of N fits rows {@code [w·b, (w+1)·b)} of a global minibatch of {@code N·b}. This
 * is what makes a data trial comparable example for example with a task trial of batch {@code N·b}.
 */
public final class MinibatchOrder {

    private final int n;
    private final int batch;
    private final SplittableRandom rnd;
    private int[] perm;
    private int pos;

    /**
     * @param seed  the user's seed of the trial
     * @param n     training examples
     * @param batch global minibatch size (capped at n, as a task trial caps it)
     */
    public MinibatchOrder(long seed, int n, int batch) {
        this.n = n;
        this.batch = Math.min(batch, n);
        this.rnd = new SplittableRandom(CommonRandom.minibatches(seed, n, this.batch));
        this.perm = TrialRunner.permutation(n, rnd);
    }

    /** The row indices of the next global minibatch. */
    public int[] next() {
        if (pos + batch > n) {
            perm = TrialRunner.permutation(n, rnd);
            pos = 0;
        }
        int[] idx = Arrays.copyOfRange(perm, pos, pos + batch);
        pos += batch;
        return idx;
    }

    /** Worker {@code worker}'s rows of a global minibatch split evenly over {@code workers}. */
    public static int[] shard(int[] global, int worker, int workers) {
        if (global.length % workers != 0) {
            throw new IllegalArgumentException("a minibatch of " + global.length + " rows does not split evenly over "
                    + workers + " workers");
        }
        int b = global.length / workers;
        return Arrays.copyOfRange(global, worker * b, (worker + 1) * b);
    }
}
