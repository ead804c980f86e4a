package io.gradflow.data;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The data fingerprint tells datasets apart by content, not by name. */
class FingerprintTest {

    private static Dataset data(int label, float feature) {
        return new Dataset("csv(path=data.csv)", 2, 2, new float[]{0f, 1f, feature, 3f}, new int[]{0, label},
                new float[]{4f, 5f}, new int[]{1});
    }

    @Test
    void equalDataHasEqualFingerprintsWhateverItIsCalled() {
        Dataset a = data(1, 2f);
        Dataset b = new Dataset("another name", 2, 2, a.trainX().clone(), a.trainY().clone(), a.testX().clone(), a.testY().clone());
        assertThat(Fingerprint.of(a)).hasSize(64).isEqualTo(Fingerprint.of(b));
    }

    @Test
    void aChangedLabelFeatureOrSplitChangesTheFingerprint() {
        String base = Fingerprint.of(data(1, 2f));
        assertThat(Fingerprint.of(data(0, 2f))).isNotEqualTo(base);
        assertThat(Fingerprint.of(data(1, 2.5f))).isNotEqualTo(base);
        // the same five examples split differently: the third training value moved to the test part
        Dataset moved = new Dataset("csv(path=data.csv)", 2, 2, new float[]{0f, 1f}, new int[]{0},
                new float[]{2f, 3f, 4f, 5f}, new int[]{1, 1});
        assertThat(Fingerprint.of(moved)).isNotEqualTo(Fingerprint.of(data(1, 2f)));
    }

    @Test
    void largeDataIsHashedAcrossBufferRefills() {
        float[] x = new float[100_000];
        int[] y = new int[50_000];
        Dataset a = new Dataset("big", 2, 2, x, y, new float[]{1f, 2f}, new int[]{1});
        String before = Fingerprint.of(a);
        y[49_999] = 1;
        assertThat(Fingerprint.of(a)).isNotEqualTo(before);
        assertThat(Fingerprint.shortForm(before)).hasSize(12);
    }
}
