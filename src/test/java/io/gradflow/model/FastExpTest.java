package io.gradflow.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FastExp} against {@code Math.exp} (the JDK's correctly rounded-or-nearly exponential), and its array form,
 * on the Vector API in this JVM, against its scalar form bit for bit.
 */
class FastExpTest {

    private static final double[] SPECIAL = {0.0, -0.0, 1e-300, -1e-300, 1e-17, -1e-17, 1e-8, -1e-8, 0.34657359,
            -0.34657359, 0.5, -0.5, 0.69314718055994530942, -0.69314718055994530942, 1, -1, 2.5, -2.5, 10, -10, 40, -40,
            87.5, -87.5, 100, -100, 700, -700, 707.9, -707.9, 708, -708, 708.5, -708.5, 709, -709, 709.5, -709.5, 800,
            -800, Double.MAX_VALUE, -Double.MAX_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    /** Random arguments over the whole range, and the activations' usual ones. */
    private static double[] arguments() {
        SplittableRandom r = new SplittableRandom(5);
        double[] x = new double[SPECIAL.length + 60_000];
        System.arraycopy(SPECIAL, 0, x, 0, SPECIAL.length);
        for (int i = SPECIAL.length; i < x.length; i++) {
            x[i] = switch (i % 3) {
                case 0 -> r.nextDouble(-708, 709);
                case 1 -> r.nextGaussian() * 4;
                default -> r.nextDouble(-1, 1) * Math.pow(10, -r.nextInt(0, 18));
            };
        }
        return x;
    }

    @Test
    void withinTwoUlpsOfMathExpOverItsRangeAndZeroOrInfinityOutsideIt() {
        double worst = 0;
        for (double x : arguments()) {
            double ours = FastExp.exp(x);
            double ref = Math.exp(x);
            if (Double.isNaN(x)) {
                assertThat(ours).isNaN();
            } else if (x < -708) {
                assertThat(ours).as("exp(%s)", x).isEqualTo(0.0);
                assertThat(ref).isLessThan(Double.MIN_NORMAL * 4); // where Math.exp is subnormal or 0
            } else if (x > 709) {
                assertThat(ours).as("exp(%s)", x).isEqualTo(Double.POSITIVE_INFINITY);
                assertThat(ref).isGreaterThan(8e307);
            } else {
                double ulps = Math.abs(ours - ref) / Math.ulp(ref);
                worst = Math.max(worst, ulps);
                assertThat(ulps).as("exp(%s): ours %s, Math.exp %s", x, ours, ref).isLessThanOrEqualTo(2.0);
            }
        }
        assertThat(FastExp.exp(0.0)).isEqualTo(1.0);
        assertThat(FastExp.exp(-0.0)).isEqualTo(1.0);
        assertThat(FastExp.exp(1.0)).isCloseTo(Math.E, org.assertj.core.data.Offset.offset(2 * Math.ulp(Math.E)));
        System.out.printf("[fast-exp] worst %.2f ulps against Math.exp%n", worst);
    }

    @Test
    void theArrayFormRunsOnTheVectorApiHereAndGivesTheScalarFormsBitsAtEveryLengthAndOffset() {
        // the pom puts jdk.incubator.vector on the test JVMs, as the launchers and Spark defaults do for real runs
        assertThat(FastExp.vectorized()).as("the Vector API module is resolved in the test JVM").isTrue();
        double[] x = arguments();
        for (int len : new int[]{0, 1, 3, 7, 8, 9, 17, 64, 4096, x.length}) {
            double[] a = java.util.Arrays.copyOf(x, len);
            FastExp.exp(a, len);
            for (int i = 0; i < len; i++) {
                long want = Double.doubleToRawLongBits(FastExp.exp(x[i]));
                long got = Double.doubleToRawLongBits(a[i]);
                if (Double.isNaN(x[i])) {
                    assertThat(a[i]).isNaN();
                } else {
                    assertThat(got).as("exp(%s) at index %d of %d: vector %s, scalar %s", x[i], i, len, a[i],
                            FastExp.exp(x[i])).isEqualTo(want);
                }
            }
        }
        // only the first len values are touched
        double[] b = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
        FastExp.exp(b, 9);
        assertThat(b[9]).isEqualTo(10.0);
        assertThat(b[16]).isEqualTo(17.0);
        assertThat(b[8]).isEqualTo(FastExp.exp(9.0));
    }
}
