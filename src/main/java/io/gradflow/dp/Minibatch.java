package io.gradflow.dp;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * Rows of standardized examples as plain arrays: the form in which distributed data are cached and shuffled by
 * Spark (no ND4J arrays in Spark's storage), turned into a DL4J {@link DataSet} only where a worker fits it.
 *
 * @param id       the minibatch's position in the trial's order (or the chunk's number for test data)
 * @param x        row-major features, {@code y.length * features} values
 * @param y        class indices
 * @param features features per row
 * @param classes  number of classes (the one-hot width)
 */
public record Minibatch(long id, float[] x, int[] y, int features, int classes) implements Serializable {

    public Minibatch {
        if (x.length != (long) y.length * features) {
            throw new IllegalArgumentException("a minibatch of " + y.length + " rows needs " + y.length * features
                    + " feature values, not " + x.length);
        }
    }

    public int rows() {
        return y.length;
    }

    /** The DL4J form: features and one-hot labels in the network's type. */
    public DataSet toDataSet(DataType dt) {
        float[] onehot = new float[y.length * classes];
        for (int i = 0; i < y.length; i++) {
            onehot[i * classes + y[i]] = 1f;
        }
        return new DataSet(Nd4j.create(x, new long[]{y.length, features}, 'c').castTo(dt),
                Nd4j.create(onehot, new long[]{y.length, classes}, 'c').castTo(dt));
    }

    /** The rows of several minibatches, in the given order, as one. */
    public static Minibatch concat(long id, java.util.List<Minibatch> parts) {
        int rows = parts.stream().mapToInt(Minibatch::rows).sum();
        int f = parts.get(0).features();
        float[] x = new float[rows * f];
        int[] y = new int[rows];
        int r = 0;
        for (Minibatch m : parts) {
            System.arraycopy(m.x(), 0, x, r * f, m.x().length);
            System.arraycopy(m.y(), 0, y, r, m.rows());
            r += m.rows();
        }
        return new Minibatch(id, x, y, f, parts.get(0).classes());
    }
}
