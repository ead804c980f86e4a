package io.gradflow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SplitTest {

    /** n examples with two features (i, 10 i) and label i % 3, so each row can be identified after the shuffle. */
    private static Examples numbered(int n) {
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = 10 * i;
            y[i] = i % 3;
        }
        return new Examples(x, y, 2, 3);
    }

    private static List<Integer> ids(Examples e) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
            int id = (int) e.x()[2 * i];
            assertThat(e.x()[2 * i + 1]).as("row %d stays whole", id).isEqualTo(10f * id);
            assertThat(e.y()[i]).as("row %d keeps its label", id).isEqualTo(id % 3);
            ids.add(id);
        }
        return ids;
    }

    @Test
    void holdsOutRoundedFractionAndKeepsEveryRowExactlyOnce() {
        Split split = Split.of(numbered(10), 0.25, 1);
        // round(0.25 * 10) = round(2.5) = 3
        assertThat(split.test().size()).isEqualTo(3);
        assertThat(split.train().size()).isEqualTo(7);
        List<Integer> all = new ArrayList<>(ids(split.test()));
        all.addAll(ids(split.train()));
        assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(split.train().classes()).isEqualTo(3);
        assertThat(split.train().features()).isEqualTo(2);
    }

    @Test
    void sameSeedSameSplitAndOtherSeedOtherSplit() {
        Examples data = numbered(50);
        assertThat(ids(Split.of(data, 0.2, 7).test())).isEqualTo(ids(Split.of(data, 0.2, 7).test()));
        assertThat(ids(Split.of(data, 0.2, 7).test())).isNotEqualTo(ids(Split.of(data, 0.2, 8).test()));
    }

    @Test
    void shufflesRatherThanTakingTheFirstRows() {
        assertThat(ids(Split.of(numbered(50), 0.2, 7).test())).isNotEqualTo(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    }

    @Test
    void eachPartKeepsAtLeastOneExample() {
        assertThat(Split.of(numbered(10), 0.01, 1).test().size()).isEqualTo(1);
        assertThat(Split.of(numbered(10), 0.99, 1).train().size()).isEqualTo(1);
        Split two = Split.of(numbered(2), 0.5, 1);
        assertThat(two.train().size()).isEqualTo(1);
        assertThat(two.test().size()).isEqualTo(1);
    }

    @Test
    void oneExampleCannotBeSplit() {
        assertThatThrownBy(() -> Split.of(new Examples(new float[] {1f}, new int[] {0}, 1, 2), 0.5, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a dataset with 1 example(s) cannot be split; at least 2 are needed.");
    }

    @Test
    void fractionOutsideTheOpenUnitIntervalIsRejected() {
        assertThatThrownBy(() -> Split.of(numbered(10), 1.0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dataset.test_fraction 1.0 is not allowed");
    }
}
