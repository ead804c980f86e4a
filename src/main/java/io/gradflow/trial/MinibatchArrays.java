package io.gradflow.trial;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trial's minibatch as two arrays made once and refilled in place every step: the features of the chosen training
 * rows and their one-hot labels, in the network's type. The same values as gathering the rows of the training
 * matrices with {@code Nd4j.pullRows} (floats copied, or widened exactly to double), without the two ND4J ops, two
 * arrays and a {@code DataSet} that gathering made per step ({@code MinibatchArraysTest}).
 */
final class MinibatchArrays implements AutoCloseable {

    private final DataType type;
    private final int features;
    private final int classes;
    private final INDArray x;
    private final INDArray y;
    private final INDArray[] xs;
    private final INDArray[] ys;
    private final float[] fx;
    private final float[] fy;
    private final double[] dx;
    private final double[] dy;

    MinibatchArrays(DataType type, int rows, int features, int classes) {
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("Minibatches are float or double, not " + type + ".");
        }
        this.type = type;
        this.features = features;
        this.classes = classes;
        x = Nd4j.createUninitializedDetached(type, 'c', rows, features);
        y = Nd4j.createUninitializedDetached(type, 'c', rows, classes);
        xs = new INDArray[]{x};
        ys = new INDArray[]{y};
        fx = new float[rows * features];
        fy = new float[rows * classes];
        dx = type == DataType.DOUBLE ? new double[fx.length] : null;
        dy = type == DataType.DOUBLE ? new double[fy.length] : null;
    }

    /** Fills the arrays with training rows {@code rows} of {@code trainX} (row-major) and their labels. */
    void fill(float[] trainX, int[] trainY, int[] rows) {
        java.util.Arrays.fill(fy, 0f);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(trainX, rows[i] * features, fx, i * features, features);
            fy[i * classes + trainY[rows[i]]] = 1f;
        }
        if (type == DataType.FLOAT) {
            x.data().setData(fx);
            y.data().setData(fy);
        } else {
            for (int i = 0; i < fx.length; i++) {
                dx[i] = fx[i];
            }
            for (int i = 0; i < fy.length; i++) {
                dy[i] = fy[i];
            }
            x.data().setData(dx);
            y.data().setData(dy);
        }
    }

    /** The features, as the one-element array {@code ComputationGraph.fit(INDArray[], INDArray[])} takes. */
    INDArray[] features() {
        return xs;
    }

    /** The one-hot labels, as the one-element array {@code fit} takes. */
    INDArray[] labels() {
        return ys;
    }

    @Override
    public void close() {
        x.close();
        y.close();
    }
}
