package io.gradflow.data;

/**
 * Labelled examples before splitting: the common currency between the sources (generators, loader) and the
 * preparation steps (split, standardization).
 *
 * @param x        features, row-major, {@code y.length * features} values
 * @param y        labels in {@code 0 .. classes-1}
 * @param features number of features per example
 * @param classes  number of classes
 */
public record Examples(float[] x, int[] y, int features, int classes) {

    public Examples {
        if (features < 1) {
            throw new IllegalArgumentException("examples need at least 1 feature, got " + features + ".");
        }
        if (classes < 2) {
            throw new IllegalArgumentException("examples need at least 2 classes, got " + classes + ".");
        }
        if (x.length != (long) y.length * features) {
            throw new IllegalArgumentException("examples have " + x.length + " feature values, but " + y.length
                    + " labels with " + features + " features need " + (long) y.length * features + ".");
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= classes) {
                throw new IllegalArgumentException("example " + i + " has label " + y[i] + ", outside 0.."
                        + (classes - 1) + ".");
            }
        }
    }

    /** Number of examples. */
    public int size() {
        return y.length;
    }

    /** How many examples carry each label, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int label : y) {
            counts[label]++;
        }
        return counts;
    }
}
