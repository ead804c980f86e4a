package io.gradflow.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VectorLoops} gives its scalar loops' bits. The float column sums of the fused blocks' float path (what
 * {@link DenseGemm#columnSums(float[], int, int, double[])} runs in the test JVMs) give the scalar loop's bits for
 * every width (below, at and above the vector length, with tails), with NaN (any NaN equals any NaN: Java does not fix their bits), ±∞ and −0 among the values.
 */
class VectorLoopsTest {

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

    /**
     * Widening, narrowing and rounding to float give Java's casts' values for every length around the vector
     * length, with NaN, ±∞, −0, subnormals, values beyond float's range and halfway cases among them.
     */
    @Test
    void theConversionsGiveJavasCasts() {
        assertThat(FastExp.vectorized()).isTrue();
        SplittableRandom rnd = new SplittableRandom(10);
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 1e-320, 1e39,
                -1e39, 1 + 0x1.0p-24, 1 + 0x1.8p-24, Float.MIN_VALUE / 2.0, Float.MAX_VALUE};
        for (int len : new int[]{0, 1, 7, 8, 9, 15, 16, 17, 33, 1000}) {
            double[] d = new double[len];
            float[] f = new float[len];
            for (int i = 0; i < len; i++) {
                d[i] = rnd.nextInt(6) == 0 ? special[rnd.nextInt(special.length)] : rnd.nextGaussian() * 1e3;
                f[i] = (float) (rnd.nextInt(6) == 0 ? special[rnd.nextInt(special.length)] : rnd.nextGaussian());
            }
            double[] widened = new double[len + 1];
            widened[len] = 7; // past len: left alone
            VectorLoops.widen(f, widened, len);
            float[] narrowed = new float[len];
            VectorLoops.narrow(d, narrowed, len);
            double[] rounded = d.clone();
            VectorLoops.roundToFloat(rounded, len);
            for (int i = 0; i < len; i++) {
                String at = "length " + len + ", element " + i + ": " + d[i] + " / " + f[i];
                assertThat(Double.doubleToLongBits(widened[i])).as(at).isEqualTo(Double.doubleToLongBits(f[i]));
                assertThat(Float.floatToIntBits(narrowed[i])).as(at).isEqualTo(Float.floatToIntBits((float) d[i]));
                assertThat(Double.doubleToLongBits(rounded[i])).as(at)
                        .isEqualTo(Double.doubleToLongBits((double) (float) d[i]));
            }
            assertThat(widened[len]).isEqualTo(7.0);
        }
    }
}
