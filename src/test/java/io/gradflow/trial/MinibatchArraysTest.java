package io.gradflow.trial;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MinibatchArrays} holds exactly what gathering the rows with ND4J's {@code pullRows} from the trial's
 * training matrices gave, step after step in the same two arrays, in float and double.
 */
class MinibatchArraysTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void refillsHoldWhatPullRowsGathers(DataType dt) {
        int n = 50;
        int features = 5;
        int classes = 4;
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        INDArray trainX = TrialRunner.matrix(x, n, features, dt);
        INDArray trainY = TrialRunner.oneHot(y, classes, dt);
        try (MinibatchArrays mb = new MinibatchArrays(dt, 7, features, classes)) {
            INDArray features0 = mb.features()[0];
            for (int step = 0; step < 4; step++) {
                int[] rows = new int[7];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = r.nextInt(n);
                }
                mb.fill(x, y, rows);
                assertThat(mb.features()[0]).isSameAs(features0);
                assertThat(mb.features()[0].dataType()).isEqualTo(dt);
                // exact: INDArray.equals would allow a tolerance
                assertThat(values(mb.features()[0])).containsExactly(values(Nd4j.pullRows(trainX, 1, rows)));
                assertThat(values(mb.labels()[0])).containsExactly(values(Nd4j.pullRows(trainY, 1, rows)));
                assertThat(mb.labels()[0].sumNumber().doubleValue()).isEqualTo(7.0);
            }
        }
    }

    private static double[] values(INDArray a) {
        return a.dup('c').data().asDouble();
    }
}
