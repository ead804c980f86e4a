package io.gradflow.data;

import java.util.Random;

/**
 * A deterministic train/test split.
 *
 * @param train the training examples
 * @param test  the held-out examples
 */
public record Split(Examples train, Examples test) {

    /**
     * Shuffles the examples with a generator derived from {@code seed} and holds out the first
     * {@code round(testFraction * n)} of them, clamped so that each part keeps at least one example. The split
     * depends only on (n, testFraction, seed), never on the feature values, so the same rows are held out for every
     * trial of a sweep.
     *
     * @throws IllegalArgumentException if there are fewer than 2 examples or the fraction is not in (0, 1)
     */
    public static Split of(Examples data, double testFraction, long seed) {
        int n = data.size();
        if (n < 2) {
            throw new IllegalArgumentException("a dataset with " + n + " example(s) cannot be split; at least 2 are needed.");
        }
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("dataset.test_fraction " + testFraction + " is not allowed; it must be between 0 and 1 (exclusive).");
        }
        int nTest = (int) Math.max(1, Math.min(n - 1, Math.round(testFraction * n)));
        int[] order = permutation(n, seed);
        return new Split(take(data, order, nTest, n), take(data, order, 0, nTest));
    }

    /** A Fisher-Yates permutation of 0..n-1 drawn from the split stream of {@code seed}. */
    static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = Streams.of(seed, Streams.SPLIT);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static Examples take(Examples data, int[] order, int from, int to) {
        int d = data.features();
        float[] x = new float[(to - from) * d];
        int[] y = new int[to - from];
        for (int k = from; k < to; k++) {
            int row = order[k];
            System.arraycopy(data.x(), row * d, x, (k - from) * d, d);
            y[k - from] = data.y()[row];
        }
        return new Examples(x, y, d, data.classes());
    }
}
