package io.gradflow.data;

import java.io.Serializable;

/**
 * A standardized, split classification dataset held in memory, built once on the driver and broadcast to the
 * executors. Feature matrices are row-major {@code float} arrays so the value is compact and cheap to serialize.
 *
 * @param name      canonical description of where the data came from
 * @param features  number of input features
 * @param classes   number of classes; labels are 0 .. classes-1
 * @param trainX    training features, row-major, {@code trainY.length * features} values
 * @param trainY    training labels
 * @param testX     test features, row-major, {@code testY.length * features} values
 * @param testY     test labels
 */
public record Dataset(String name, int features, int classes, float[] trainX, int[] trainY, float[] testX,
                      int[] testY) implements Serializable {

    public Dataset {
        if (features < 1) {
            throw new IllegalArgumentException("dataset features " + features + " must be at least 1");
        }
        if (classes < 2) {
            throw new IllegalArgumentException("dataset classes " + classes + " must be at least 2");
        }
        if (trainY.length == 0 || testY.length == 0) {
            throw new IllegalArgumentException("dataset '" + name + "' needs at least one training and one test example, got "
                    + trainY.length + " and " + testY.length);
        }
        if (trainX.length != (long) trainY.length * features || testX.length != (long) testY.length * features) {
            throw new IllegalArgumentException("dataset '" + name + "' feature arrays do not match " + features + " features per example");
        }
    }

    public int trainSize() {
        return trainY.length;
    }

    public int testSize() {
        return testY.length;
    }
}
