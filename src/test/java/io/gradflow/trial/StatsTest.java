package io.gradflow.trial;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class StatsTest {

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void l2NormOfHandComputedArrays() {
        assertThat(Stats.l2(new double[]{3, 4})).isEqualTo(5.0);
        assertThat(Stats.l2(new double[]{0, 0, 0})).isEqualTo(0.0);
        assertThat(Stats.l2(new double[]{})).isEqualTo(0.0);
        assertThat(Stats.l2(new double[]{-7})).isEqualTo(7.0);
        assertThat(Stats.l2(new double[]{1, 2, 2})).isEqualTo(3.0);
        // no overflow where Σx² would exceed Double.MAX_VALUE
        assertThat(Stats.l2(new double[]{3e200, 4e200})).isCloseTo(5e200, within(1e186));
        // and no underflow for tiny gradients
        assertThat(Stats.l2(new double[]{3e-200, 4e-200})).isCloseTo(5e-200, within(1e-214));
        // subnormal values: 1/max would overflow without lifting them first
        assertThat(Stats.l2(new double[]{3e-315, 4e-315})).isCloseTo(5e-315, within(1e-320));
        assertThat(Stats.l2(new double[]{Double.MIN_VALUE})).isEqualTo(Double.MIN_VALUE);
    }

    /**
     * The one-pass forms the statistics of an armed step use give the bits of the separate functions, on arrays
     * with and without NaN, ±∞, −0, huge, tiny and subnormal values, empty ones included, and only over the
     * first n entries of a longer buffer.
     */
    @Test
    void theOnePassFormsGiveTheSeparateFunctionsBits() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        double[] special = {NAN, INF, -INF, -0.0, 1e300, 1e-300, Double.MIN_VALUE, 0.0};
        for (int trial = 0; trial < 400; trial++) {
            int n = r.nextInt(40);
            double[] x = new double[n];
            double scale = Math.pow(10, r.nextInt(40) - 20);
            for (int i = 0; i < n; i++) {
                x[i] = trial % 3 == 0 && r.nextInt(8) == 0 ? special[r.nextInt(special.length)] : r.nextGaussian() * scale;
            }
            double[] padded = java.util.Arrays.copyOf(x, n + 5);
            java.util.Arrays.fill(padded, n, n + 5, NAN); // past n: never read
            double[] s = new double[5];
            Stats.absSummaryAndNorm(padded, padded, n, s);
            assertThat(Double.doubleToLongBits(s[3])).as(Arrays.toString(x)).isEqualTo(Double.doubleToLongBits(Stats.l2(x)));
            String at = java.util.Arrays.toString(x);
            assertThat((long) s[0]).as(at).isEqualTo(Stats.nonFiniteCount(x));
            assertThat(Double.doubleToLongBits(s[1])).as(at).isEqualTo(Double.doubleToLongBits(Stats.maxAbs(x)));
            if (n > 0) {
                assertThat(Double.doubleToLongBits(s[2] / n)).as(at).isEqualTo(Double.doubleToLongBits(Stats.meanAbs(x)));
            }
            double finiteMax = Stats.finiteMaxAbs(padded, n);
            assertThat(Double.isNaN(finiteMax)).as(at).isEqualTo(!Stats.allFinite(x));
            if (Stats.allFinite(x)) {
                assertThat(Double.doubleToLongBits(Stats.l2GivenMax(padded, n, finiteMax))).as(at)
                        .isEqualTo(Double.doubleToLongBits(Stats.l2(x)));
            }
            if (n > 0) { // absSummaryAndNorm's max of nothing is maxAbs's NaN, where l2 of nothing is 0
                assertThat(Double.doubleToLongBits(Stats.l2GivenMax(padded, n, s[1]))).as(at)
                        .isEqualTo(Double.doubleToLongBits(Stats.l2(x)));
            }
            double[] so = new double[2];
            Stats.sumAndOutside(x, -0.99, 0.99, so);
            if (n > 0) {
                assertThat(Double.doubleToLongBits(so[0] / n)).as(at).isEqualTo(Double.doubleToLongBits(Stats.mean(x)));
                assertThat(Double.doubleToLongBits(so[1] / n)).as(at)
                        .isEqualTo(Double.doubleToLongBits(Stats.fractionOutside(x, -0.99, 0.99)));
            }
            assertThat(Double.doubleToLongBits(Stats.stdGivenMean(x, Stats.mean(x)))).as(at)
                    .isEqualTo(Double.doubleToLongBits(Stats.std(x)));
        }
    }

    /** The definitions the statistics had as plain loops (before their maxima moved to vector lanes): the reference. */
    private static double referenceMaxAbs(double[] x, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(x[i])) {
                return NAN;
            }
            m = Math.max(m, Math.abs(x[i]));
        }
        return n == 0 ? NAN : m;
    }

    private static double referenceL2(double[] x, int n) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(x[i])) {
                return NAN;
            }
            max = Math.max(max, Math.abs(x[i]));
        }
        return Stats.l2GivenMax(x, n, max); // its scaled sum is unchanged: only the maximum passes are new
    }

    private static double referenceFiniteMaxAbs(double[] x, int n) {
        double max = 0;
        boolean finite = true;
        for (int i = 0; i < n; i++) {
            finite &= Double.isFinite(x[i]);
            max = Math.max(max, Math.abs(x[i]));
        }
        return finite ? max : NAN;
    }

    /**
     * The statistics' order of summation written plainly (Stats' class comment): element i into partial sum i mod 8,
     * each in index order, then ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)).
     */
    private static double partialSums(double[] v, int n) {
        double[] p = new double[8];
        for (int i = 0; i < n; i++) {
            p[i % 8] += v[i];
        }
        return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    }

    /**
     * Every sum of the statistics, on the Vector API and without it, gives the bits of {@link #partialSums} on its
     * terms, and on finite values agrees with the index-order sum within the rounding of either: lengths around
     * multiples of 8, NaN and infinities propagated, entries past n never read.
     */
    @Test
    void theSumsRunInEightPartialSumsOnVectorLanesAndWithoutThem() {
        // Stats.sum etc. take the vector loops where the machine's vectors hold eight doubles (VectorStats.SUMS), the
        // scalar partial sums elsewhere; both are compared with the plain definition here.
        SplittableRandom r = new SplittableRandom(12);
        double[] special = {NAN, INF, -INF, -0.0, 0.0, 1e300, Double.MIN_VALUE};
        for (int trial = 0; trial < 3_000; trial++) {
            int n = r.nextInt(70);
            double[] x = new double[n + 9];
            double[] w = new double[n + 9];
            Arrays.fill(x, n, x.length, NAN); // past n: never read
            Arrays.fill(w, n, w.length, NAN);
            double scale = Math.pow(2, r.nextInt(200) - 100);
            boolean specials = trial % 3 == 0;
            for (int i = 0; i < n; i++) {
                x[i] = specials && r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : r.nextGaussian() * scale;
                w[i] = r.nextGaussian() * scale * 2;
            }
            String at = n + " " + Arrays.toString(Arrays.copyOf(x, n));
            double m = r.nextGaussian() * scale;
            double lift = trial % 7 == 0 ? 0x1.0p600 : 1.0;
            double inv = 1.0 / (scale * 4 * lift);
            double wInv = 1.0 / (scale * 8);
            double[][] terms = new double[5][n];
            for (int i = 0; i < n; i++) {
                terms[0][i] = x[i];
                terms[1][i] = Math.abs(x[i]);
                double t = x[i] * lift * inv;
                terms[2][i] = t * t;
                terms[3][i] = (x[i] - m) * (x[i] - m);
                double u = w[i] * 1.0 * wInv;
                terms[4][i] = u * u;
            }
            double[] three = new double[3];
            double[] scalarThree = new double[3];
            Stats.absAndSquares(x, w, n, lift, inv, 1.0, wInv, three);
            Stats.scalarAbsAndSquares(x, w, n, lift, inv, 1.0, wInv, scalarThree);
            double[][] got = {
                {Stats.sum(x, n), Stats.scalarSum(x, n, 0, 0)},
                {Stats.sumAbs(x, n), Stats.scalarSum(x, n, 1, 0), three[0], scalarThree[0]},
                {Stats.scaledSumOfSquares(x, n, lift, inv), Stats.scalarScaledSumOfSquares(x, n, lift, inv), three[1],
                    scalarThree[1]},
                {Stats.sumOfSquaredDeviations(x, n, m), Stats.scalarSum(x, n, 2, m)},
                {three[2], scalarThree[2]}};
            for (int k = 0; k < got.length; k++) {
                double want = partialSums(terms[k], n);
                for (double g : got[k]) {
                    assertThat(bits(g)).as("sum %d of %s", k, at).isEqualTo(bits(want));
                }
                double ordered = 0;
                double magnitude = 0;
                for (double v : terms[k]) {
                    ordered += v;
                    magnitude += Math.abs(v);
                }
                if (Double.isFinite(ordered) && Double.isFinite(magnitude)) {
                    assertThat(Math.abs(want - ordered)).as("sum %d of %s", k, at)
                            .isLessThanOrEqualTo(2.0 * n * Math.ulp(magnitude));
                } else if (Double.isNaN(ordered)) {
                    assertThat(want).as("sum %d of %s", k, at).isNaN();
                }
            }
        }
    }

    private static long bits(double v) {
        return Double.doubleToLongBits(v); // every NaN as one value: a NaN's payload is not part of a statistic
    }

    /**
     * The maxima taken as integer maxima of the values' bits, on vector lanes and in the scalar fallback, give the
     * bits of the plain {@code Math.max} loops, and absSummaryAndNorm's sums those of the plain sums in the statistics'
     * order ({@link #partialSums}): arrays of
     * every length up to several vector widths, with NaN, ±∞, ±0, huge, tiny and subnormal values, read only up to n.
     */
    @Test
    void theMaximaOnVectorLanesAndTheSumsBesideEachOtherGiveThePlainLoopsBits() {
        SplittableRandom r = new SplittableRandom(11);
        double[] special = {NAN, Double.longBitsToDouble(0xfff8_0000_0000_1234L), INF, -INF, -0.0, 0.0, 1e308, -1e-310,
                Double.MIN_VALUE, -Double.MAX_VALUE};
        for (int trial = 0; trial < 3_000; trial++) {
            int n = r.nextInt(70);
            double[] x = new double[n + 9];
            Arrays.fill(x, n, x.length, trial % 2 == 0 ? NAN : 1e300); // past n: never read
            double scale = Math.pow(2, r.nextInt(2_000) - 1_000);
            int specials = trial % 4; // none, or a few of them
            for (int i = 0; i < n; i++) {
                x[i] = specials > 0 && r.nextInt(12) < specials ? special[r.nextInt(special.length)] : r.nextGaussian() * scale;
            }
            String at = n + " " + Arrays.toString(Arrays.copyOf(x, n));
            double[] count = new double[1];
            double[] vcount = new double[1];
            long scalar = Stats.scalarMaxAbsBits(x, n, count);
            assertThat(Stats.scalarMaxAbsBits(x, n)).as(at).isEqualTo(scalar);
            assertThat(VectorStats.maxAbsBits(x, n)).as(at).isEqualTo(scalar);
            assertThat(VectorStats.maxAbsBits(x, n, vcount)).as(at).isEqualTo(scalar);
            assertThat(vcount[0]).as(at).isEqualTo(count[0]);
            double[] head = Arrays.copyOf(x, n);
            assertThat((long) count[0]).as(at).isEqualTo(Stats.nonFiniteCount(head));

            assertThat(bits(Stats.maxAbs(x, n))).as(at).isEqualTo(bits(referenceMaxAbs(x, n)));
            assertThat(bits(Stats.l2(x, n))).as(at).isEqualTo(bits(referenceL2(x, n)));
            assertThat(bits(Stats.finiteMaxAbs(x, n))).as(at).isEqualTo(bits(referenceFiniteMaxAbs(x, n)));
            // a layer's gradient with its weights beside it: the gradient's four statistics, and the weights' norm
            double[] w = new double[n + 3];
            for (int i = 0; i < w.length; i++) {
                w[i] = trial % 5 == 1 && r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : r.nextGaussian() * scale * 3;
            }
            double[] s = new double[5];
            Stats.absSummaryAndNorm(x, w, n, s);
            assertThat((long) s[0]).as(at).isEqualTo(Stats.nonFiniteCount(head));
            assertThat(bits(s[1])).as(at).isEqualTo(bits(referenceMaxAbs(x, n)));
            double[] abs = new double[n];
            for (int i = 0; i < n; i++) {
                abs[i] = Math.abs(x[i]);
            }
            assertThat(bits(s[2])).as(at).isEqualTo(bits(partialSums(abs, n)));
            assertThat(bits(s[3])).as(at).isEqualTo(bits(referenceL2(x, n)));
            assertThat(bits(s[4])).as(at).isEqualTo(bits(Stats.l2GivenMax(Arrays.copyOf(w, n), n,
                    referenceFiniteMaxAbs(w, n))));
            boolean finite = true;
            for (int i = 0; i < n; i++) {
                finite &= Double.isFinite(x[i]);
            }
            assertThat(Stats.allFinite(head)).as(at).isEqualTo(finite);
        }
    }

    @Test
    void nonFiniteEntriesPropagateIntoNormsAndAreCounted() {
        assertThat(Stats.l2(new double[]{1, NAN})).isNaN();
        assertThat(Stats.l2(new double[]{1, INF})).isInfinite();
        assertThat(Stats.l2(new double[]{-INF, NAN})).isNaN();
        assertThat(Stats.maxAbs(new double[]{1, NAN})).isNaN();
        assertThat(Stats.maxAbs(new double[]{1, -INF})).isInfinite();
        assertThat(Stats.meanAbs(new double[]{1, INF})).isInfinite();
        assertThat(Stats.nonFiniteCount(new double[]{1, NAN, INF, -INF, 0})).isEqualTo(3);
        assertThat(Stats.nonFiniteCount(new double[]{})).isZero();
    }

    @Test
    void meanAbsMaxAbsMeanAndStd() {
        double[] x = {1, -2, 3, -4};
        assertThat(Stats.meanAbs(x)).isEqualTo(2.5);
        assertThat(Stats.maxAbs(x)).isEqualTo(4.0);
        assertThat(Stats.mean(x)).isEqualTo(-0.5);
        // population std: deviations 1.5, -1.5, 3.5, -3.5 → variance (2.25+2.25+12.25+12.25)/4 = 7.25
        assertThat(Stats.std(x)).isCloseTo(Math.sqrt(7.25), within(1e-15));
        assertThat(Stats.std(new double[]{5})).isZero();
        assertThat(Stats.mean(new double[]{5})).isEqualTo(5.0);
        assertThat(Stats.std(new double[]{0, 0})).isZero();
        assertThat(Stats.mean(new double[]{})).isNaN();
        assertThat(Stats.std(new double[]{})).isNaN();
        assertThat(Stats.meanAbs(new double[]{})).isNaN();
        assertThat(Stats.maxAbs(new double[]{})).isNaN();
    }

    @Test
    void saturationCountsBothTails() {
        double[] sigmoid = {0.005, 0.5, 0.995, 0.99, 0.01};
        assertThat(Stats.fractionOutside(sigmoid, 0.01, 0.99)).isEqualTo(0.4);
        assertThat(Stats.fractionOutside(new double[]{}, 0, 1)).isNaN();
    }

    @Test
    void deadUnitsAreThoseAtOrBelowZeroForTheWholeBatch() {
        // 3 examples × 4 units: unit 0 alive in row 2, unit 1 always 0, unit 2 negative/zero, unit 3 alive
        double[] a = {
                0, 0, -1, 2,
                0, 0, 0, 3,
                5, 0, -2, 1};
        assertThat(Stats.deadFraction(a, 3, 4)).isEqualTo(0.5);
        assertThat(Stats.deadFraction(new double[]{0, 0}, 1, 2)).isEqualTo(1.0);
        assertThat(Stats.deadFraction(new double[]{1e-30}, 1, 1)).isEqualTo(0.0);
        assertThatThrownBy(() -> Stats.deadFraction(a, 2, 4)).hasMessageContaining("is not 2 × 4");
    }

    @Test
    void flowIsTheLog10RatioOfFirstToLastBlock() {
        // the seed example: ten blocks at 0.5 per block toward the input
        double[] norms = new double[11];
        for (int i = 0; i <= 10; i++) {
            norms[i] = Math.pow(0.5, 10 - i);
        }
        assertThat(Stats.flowLog10(norms)).isCloseTo(Math.log10(9.765625e-4), within(1e-12));
        assertThat(Stats.flowLog10(new double[]{1e-3, 5, 1})).isCloseTo(-3.0, within(1e-12));
        assertThat(Stats.flowLog10(new double[]{2})).isEqualTo(0.0);
        assertThat(Stats.flowLog10(new double[]{})).isNaN();
        assertThat(Stats.flowLog10(new double[]{0, 1})).isNaN();
        assertThat(Stats.flowLog10(new double[]{1, NAN})).isNaN();
        assertThat(Stats.flowLog10(new double[]{INF, 1})).isNaN();
        assertThat(Stats.flowUnderflow(new double[]{0, 1e-30, 1})).isTrue();
        assertThat(Stats.flowUnderflow(new double[]{1e-44, 1})).isFalse();
        assertThat(Stats.flowUnderflow(new double[]{0, 0})).isFalse();
        assertThat(Stats.flowUnderflow(new double[]{0, NAN})).isFalse();
        assertThat(Stats.flowUnderflow(new double[]{0, INF})).isFalse();
        assertThat(Stats.flowUnderflow(new double[]{0})).isFalse();
        assertThat(Stats.allFinite(new double[]{0, -1e300})).isTrue();
        assertThat(Stats.allFinite(new double[]{0, INF})).isFalse();
        assertThat(Stats.allFinite(new double[]{NAN})).isFalse();
    }

    @Test
    void slopeIsLeastSquaresOfLog10NormOverBlockIndex() {
        assertThat(Stats.log10Slope(new double[]{1, 10, 100, 1000})).isCloseTo(1.0, within(1e-12));
        assertThat(Stats.log10Slope(new double[]{5, 5, 5})).isCloseTo(0.0, within(1e-15));
        // log10 values 0, 2, 1: x̄=2, ȳ=1, Σ(x-x̄)(y-ȳ) = (-1)(-1)+0+(1)(0) = 1, Σ(x-x̄)² = 2
        assertThat(Stats.log10Slope(new double[]{1, 100, 10})).isCloseTo(0.5, within(1e-12));
        assertThat(Stats.log10Slope(new double[]{1})).isNaN();
        assertThat(Stats.log10Slope(new double[]{1, 0})).isNaN();
        assertThat(Stats.log10Slope(new double[]{1, NAN, 3})).isNaN();
    }

    @Test
    void meanFiniteSkipsNaN() {
        assertThat(Stats.meanFinite(new double[]{1, NAN, 3, INF})).isEqualTo(2.0);
        assertThat(Stats.meanFinite(new double[]{NAN})).isNaN();
        assertThat(Stats.meanFinite(new double[]{})).isNaN();
    }

    @Test
    void stepsToTargetUsesATrailingMean() {
        double[] loss = {3, 2, 0.4, 2, 0.4, 0.4, 0.1};
        // window 1: first loss ≤ 0.5 is at step 2
        assertThat(Stats.stepsToTarget(loss, 0.5, 1)).isEqualTo(2);
        // window 2: means (2.5, 1.2, 1.2, 1.2, 0.4) from step 1 on → step 5
        assertThat(Stats.stepsToTarget(loss, 0.5, 2)).isEqualTo(5);
        assertThat(Stats.stepsToTarget(loss, 0.01, 2)).isEqualTo(-1);
        assertThat(Stats.stepsToTarget(new double[]{}, 1, 3)).isEqualTo(-1);
        assertThat(Stats.stepsToTarget(new double[]{NAN, 0.1}, 1, 1)).isEqualTo(1);
        assertThatThrownBy(() -> Stats.stepsToTarget(loss, 1, 0)).hasMessageContaining("window 0");
    }

    @Test
    void minTrailingMeanIsTheBestWindowAndSkipsNonFiniteWindows() {
        double[] loss = {3, 1, 2, 0.5, 0.7, Double.NaN, 0.1};
        // windows of 2: 2, 1.5, 1.25, 0.6, NaN, NaN → 0.6
        assertThat(Stats.minTrailingMean(loss, 2)).isCloseTo(0.6, within(1e-15));
        assertThat(Stats.minTrailingMean(loss, 1)).isEqualTo(0.1);
        assertThat(Stats.minTrailingMean(new double[]{1}, 2)).isNaN();
        assertThat(Stats.minTrailingMean(new double[]{Double.NaN}, 1)).isNaN();
    }
}
