package io.gradflow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class SyntheticDataTest {

    @Test
    void sameArgumentsGiveBitIdenticalData() {
        assertSame(SyntheticData.spirals(300, 3, 0.1, 42), SyntheticData.spirals(300, 3, 0.1, 42));
        assertSame(SyntheticData.teacher(300, 4, 8, 0.1, 42), SyntheticData.teacher(300, 4, 8, 0.1, 42));
        assertSame(SyntheticData.blobs(300, 5, 3, 0.5, 42), SyntheticData.blobs(300, 5, 3, 0.5, 42));
    }

    @Test
    void anotherSeedGivesOtherData() {
        assertThat(SyntheticData.spirals(300, 3, 0.1, 1).x()).isNotEqualTo(SyntheticData.spirals(300, 3, 0.1, 2).x());
        assertThat(SyntheticData.teacher(300, 4, 8, 0, 1).y()).isNotEqualTo(SyntheticData.teacher(300, 4, 8, 0, 2).y());
        assertThat(SyntheticData.blobs(300, 5, 3, 1, 1).x()).isNotEqualTo(SyntheticData.blobs(300, 5, 3, 1, 2).x());
    }

    /**
     * Pins the generators' output: a change here silently changes every sweep's data, so it must be deliberate.
     * If it is, regenerate the constants by printing the three hash codes and pasting them in.
     */
    @Test
    void generatorsDoNotDriftBetweenVersions() {
        Examples spirals = SyntheticData.spirals(50, 3, 0.1, 7);
        Examples teacher = SyntheticData.teacher(50, 3, 4, 0.1, 7);
        Examples blobs = SyntheticData.blobs(50, 3, 4, 0.5, 7);
        assertThat(new int[] {hash(spirals), hash(teacher), hash(blobs)})
                .containsExactly(SPIRALS_HASH, TEACHER_HASH, BLOBS_HASH);
    }

    private static final int SPIRALS_HASH = -498295113;
    private static final int TEACHER_HASH = 1897073349;
    private static final int BLOBS_HASH = 188530738;

    private static int hash(Examples e) {
        return 31 * Arrays.hashCode(e.x()) + Arrays.hashCode(e.y());
    }

    @Test
    void spiralsArePlanarBalancedAndInsideTheUnitDiscWithoutNoise() {
        Examples e = SyntheticData.spirals(301, 3, 0.0, 5);
        assertThat(e.features()).isEqualTo(2);
        assertThat(e.classes()).isEqualTo(3);
        assertThat(e.x()).hasSize(602);
        assertThat(e.classCounts()).containsExactly(101, 100, 100);
        for (int i = 0; i < e.size(); i++) {
            double r = Math.hypot(e.x()[2 * i], e.x()[2 * i + 1]);
            assertThat(r).isLessThanOrEqualTo(1.0 + 1e-6);
        }
    }

    @Test
    void spiralNoiseIsTheStdOfTheCoordinateJitter() {
        Examples clean = SyntheticData.spirals(4000, 2, 0.0, 9);
        Examples noisy = SyntheticData.spirals(4000, 2, 0.3, 9);
        // The positions along the arms come from their own stream, so the difference is the noise alone.
        double ss = 0;
        for (int i = 0; i < clean.x().length; i++) {
            double d = noisy.x()[i] - clean.x()[i];
            ss += d * d;
        }
        assertThat(Math.sqrt(ss / clean.x().length)).isCloseTo(0.3, within(0.01));
        assertThat(noisy.y()).isEqualTo(clean.y());
    }

    @Test
    void specForSpiralsAlwaysHasTwoFeatures() {
        DatasetSpec spec = new DatasetSpec(DatasetKind.SPIRALS, 100, 4, 17, 0.1, 0.2, 3, null, null);
        Examples e = SyntheticData.generate(spec);
        assertThat(e.features()).isEqualTo(2);
        assertThat(e.x()).hasSize(200);
        assertThat(e.classes()).isEqualTo(4);
    }

    @Test
    void teacherHasTheRequestedShapeAndReasonablyBalancedClasses() {
        for (int classes : new int[] {2, 3, 5, 10}) {
            for (long seed = 0; seed < 5; seed++) {
                Examples e = SyntheticData.teacher(4000, classes, 10, 0.0, seed);
                assertThat(e.features()).isEqualTo(10);
                assertThat(e.x()).hasSize(40_000);
                int smallest = Arrays.stream(e.classCounts()).min().orElseThrow();
                int largest = Arrays.stream(e.classCounts()).max().orElseThrow();
                assertThat(smallest).as("smallest class, k=%d seed=%d", classes, seed).isGreaterThan(4000 / classes / 2);
                assertThat(largest).as("largest class, k=%d seed=%d", classes, seed).isLessThan(4000 / classes * 2);
            }
        }
    }

    @Test
    void teacherInputsAreStandardNormalAndNoiseDoesNotChangeLabels() {
        Examples clean = SyntheticData.teacher(5000, 3, 4, 0.0, 11);
        Examples noisy = SyntheticData.teacher(5000, 3, 4, 0.5, 11);
        assertThat(mean(clean.x())).isCloseTo(0.0, within(0.03));
        assertThat(std(clean.x())).isCloseTo(1.0, within(0.03));
        assertThat(noisy.y()).isEqualTo(clean.y());
        assertThat(std(noisy.x())).isCloseTo(Math.sqrt(1 + 0.25), within(0.03));
    }

    @Test
    void teacherLabelsDoNotDependOnHowManySamplesAreDrawn() {
        Examples small = SyntheticData.teacher(100, 4, 6, 0.0, 3);
        Examples large = SyntheticData.teacher(1000, 4, 6, 0.0, 3);
        assertThat(Arrays.copyOf(large.y(), 100)).isEqualTo(small.y());
    }

    @Test
    void teacherWithManyClassesAndFeaturesHasEveryClass() {
        Examples e = SyntheticData.teacher(2000, 40, 64, 0.0, 1);
        assertThat(e.classCounts()).doesNotContain(0);
    }

    @Test
    void blobsAreBalancedAndTheirWidthIsTheNoise() {
        Examples e = SyntheticData.blobs(3000, 3, 2, 0.25, 4);
        assertThat(e.classCounts()).containsExactly(1000, 1000, 1000);
        assertThat(e.x()).hasSize(6000);
        assertThat(withinClassStd(e)).isCloseTo(0.25, within(0.01));
    }

    @Test
    void blobsWithZeroNoiseHaveUnitWidth() {
        Examples e = SyntheticData.blobs(3000, 3, 2, 0.0, 4);
        assertThat(withinClassStd(e)).isCloseTo(1.0, within(0.04));
    }

    @Test
    void everyClassIsPresentForEveryGenerator() {
        for (DatasetKind kind : new DatasetKind[] {DatasetKind.SPIRALS, DatasetKind.TEACHER, DatasetKind.BLOBS}) {
            Examples e = SyntheticData.generate(new DatasetSpec(kind, 500, 7, 5, 0.2, 0.2, 13, null, null));
            assertThat(e.classCounts()).as(kind.key()).hasSize(7).doesNotContain(0);
        }
    }

    @Test
    void fileKindsAreNotGenerated() {
        DatasetSpec spec = new DatasetSpec(DatasetKind.CSV, 0, 0, 0, 0, 0.2, 1, "x.csv", "y");
        assertThatThrownBy(() -> SyntheticData.generate(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataset kind 'csv' is read from a file, not generated.");
    }

    @Test
    void tooLargeDataIsRejectedWithTheSizes() {
        assertThatThrownBy(() -> SyntheticData.blobs(5_000_000, 2, 1000, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("dataset.samples 5000000 times dataset.features 1000 is too large");
    }

    private static void assertSame(Examples a, Examples b) {
        assertThat(a.x()).isEqualTo(b.x());
        assertThat(a.y()).isEqualTo(b.y());
        assertThat(a.features()).isEqualTo(b.features());
        assertThat(a.classes()).isEqualTo(b.classes());
    }

    /** Root-mean-square distance of each coordinate from its class mean. */
    private static double withinClassStd(Examples e) {
        int d = e.features();
        double[][] sums = new double[e.classes()][d];
        int[] counts = e.classCounts();
        for (int i = 0; i < e.size(); i++) {
            for (int j = 0; j < d; j++) {
                sums[e.y()[i]][j] += e.x()[i * d + j];
            }
        }
        double ss = 0;
        for (int i = 0; i < e.size(); i++) {
            for (int j = 0; j < d; j++) {
                double dev = e.x()[i * d + j] - sums[e.y()[i]][j] / counts[e.y()[i]];
                ss += dev * dev;
            }
        }
        return Math.sqrt(ss / e.x().length);
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f;
        }
        return s / v.length;
    }

    private static double std(float[] v) {
        double m = mean(v);
        double s = 0;
        for (float f : v) {
            s += (f - m) * (f - m);
        }
        return Math.sqrt(s / v.length);
    }
}
