package io.gradflow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DatasetsTest {

    @Test
    void buildsGeneratedDataWithoutSpark() {
        DatasetSpec spec = new DatasetSpec(DatasetKind.SPIRALS, 200, 3, 0, 0.1, 0.25, 5, null, null);
        Dataset d = Datasets.build(spec, null);
        assertThat(d.name()).isEqualTo(spec.canonical());
        assertThat(d.features()).isEqualTo(2);
        assertThat(d.classes()).isEqualTo(3);
        assertThat(d.testSize()).isEqualTo(50);
        assertThat(d.trainSize()).isEqualTo(150);
    }

    @Test
    void sameSpecGivesBitIdenticalDatasets() {
        DatasetSpec spec = new DatasetSpec(DatasetKind.TEACHER, 300, 4, 6, 0.1, 0.2, 8, null, null);
        Dataset a = Datasets.build(spec, null);
        Dataset b = Datasets.build(spec, null);
        assertThat(a.trainX()).isEqualTo(b.trainX());
        assertThat(a.trainY()).isEqualTo(b.trainY());
        assertThat(a.testX()).isEqualTo(b.testX());
        assertThat(a.testY()).isEqualTo(b.testY());
    }

    @Test
    void trainingPartIsStandardized() {
        DatasetSpec spec = new DatasetSpec(DatasetKind.BLOBS, 1000, 3, 4, 2.0, 0.3, 2, null, null);
        Dataset d = Datasets.build(spec, null);
        for (int j = 0; j < d.features(); j++) {
            double sum = 0;
            double ss = 0;
            for (int i = 0; i < d.trainSize(); i++) {
                sum += d.trainX()[i * d.features() + j];
            }
            double mean = sum / d.trainSize();
            for (int i = 0; i < d.trainSize(); i++) {
                double dev = d.trainX()[i * d.features() + j] - mean;
                ss += dev * dev;
            }
            assertThat(mean).isCloseTo(0.0, within(1e-5));
            assertThat(Math.sqrt(ss / d.trainSize())).isCloseTo(1.0, within(1e-5));
        }
    }

    @Test
    void testPartUsesTrainingStatistics() {
        // Train rows end up as the 3 of {0, 2, 4, 100} that the split keeps; whichever they are, the test row must be
        // transformed with their mean and std, which we recompute from the unstandardized split.
        Examples e = new Examples(new float[] {0, 2, 4, 100}, new int[] {0, 1, 0, 1}, 1, 2);
        Split split = Split.of(e, 0.25, 3);
        Standardizer s = Standardizer.fit(split.train().x(), 1);
        Dataset d = Datasets.prepare("hand", e, 0.25, 3);
        assertThat(d.name()).isEqualTo("hand");
        assertThat(d.testX()[0]).isEqualTo((float) ((split.test().x()[0] - s.mean()[0]) / s.std()[0]));
        assertThat(d.testY()).isEqualTo(split.test().y());
        // With 3 training rows standardized, they have mean 0; the held-out row is not part of that mean.
        assertThat(d.trainX()[0] + d.trainX()[1] + d.trainX()[2]).isCloseTo(0f, within(1e-5f));
    }

    @Test
    void fileKindWithoutSparkIsRejected() {
        DatasetSpec spec = new DatasetSpec(DatasetKind.PARQUET, 0, 0, 0, 0, 0.2, 1, "data.parquet", "y");
        assertThatThrownBy(() -> Datasets.build(spec, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataset kind 'parquet' needs a Spark session to read 'data.parquet', but none was given.");
    }
}
