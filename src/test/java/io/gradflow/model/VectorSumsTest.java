package io.gradflow.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The float column sums of the fused blocks' float path on the Vector API ({@link VectorSums}, what
 * {@link DenseGemm#columnSums(float[], int, int, double[])} runs in the test JVMs) give the scalar loop's bits for
 * every width (below, at and above the vector length, with tails), with NaN (any NaN equals any NaN: Java does not fix their bits), ±∞ and −0 among the values.
 */
class VectorSumsTest {

    @Test
    void theVectorSumsGiveTheScalarLoopsBits() {
        assertThat(FastExp.vectorized()).as("the test JVMs resolve jdk.incubator.vector").isTrue();
        SplittableRandom rnd = new SplittableRandom(9);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE,
                Float.MAX_VALUE, 1e-30f};
        for (int n : new int[]{1, 3, 7, 8, 9, 16, 17, 31, 64, 65}) {
            for (int r : new int[]{1, 2, 5, 128}) {
                float[] d = new float[r * n];
                for (int i = 0; i < d.length; i++) {
                    d[i] = rnd.nextInt(50) == 0 ? special[rnd.nextInt(special.length)]
                            : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6));
                }
                double[] v = new double[n + 2];
                double[] s = new double[n + 2];
                v[n] = s[n] = 42; // past n: left alone
                DenseGemm.columnSums(d, r, n, v);
                DenseGemm.scalarColumnSums(d, r, n, s);
                for (int j = 0; j < n + 2; j++) {
                    assertThat(Double.doubleToLongBits(v[j])).as("n %d, r %d, column %d", n, r, j)
                            .isEqualTo(Double.doubleToLongBits(s[j]));
                }
            }
        }
    }
}
