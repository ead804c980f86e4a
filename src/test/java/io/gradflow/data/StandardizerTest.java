package io.gradflow.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class StandardizerTest {

    // Rows (1, 5), (3, 5), (5, 5): column 0 has mean 3 and population std sqrt(8/3); column 1 is constant.
    private static final float[] TRAIN = {1, 5, 3, 5, 5, 5};
    private static final double STD0 = Math.sqrt(8.0 / 3.0);

    @Test
    void fitsTrainingMeanAndPopulationStd() {
        Standardizer s = Standardizer.fit(TRAIN, 2);
        assertThat(s.mean()).containsExactly(3.0, 5.0);
        assertThat(s.std()[0]).isCloseTo(STD0, within(1e-12));
        assertThat(s.features()).isEqualTo(2);
    }

    @Test
    void constantColumnGetsStdOneAndBecomesZero() {
        Standardizer s = Standardizer.fit(TRAIN, 2);
        assertThat(s.std()[1]).isEqualTo(1.0);
        float[] out = s.apply(TRAIN);
        assertThat(new float[] {out[1], out[3], out[5]}).containsExactly(0f, 0f, 0f);
    }

    @Test
    void constantColumnWithAnInexactMeanStillBecomesExactlyZero() {
        float v = 0.1f;
        float[] x = {v, v, v, v, v, v, v};
        float[] out = Standardizer.fit(x, 1).apply(x);
        assertThat(out).containsOnly(0f);
    }

    @Test
    void standardizesHandComputedValues() {
        float[] out = Standardizer.fit(TRAIN, 2).apply(TRAIN);
        double z = 2 / STD0; // 1.2247...
        assertThat(out[0]).isCloseTo((float) -z, within(1e-6f));
        assertThat(out[2]).isCloseTo(0f, within(1e-6f));
        assertThat(out[4]).isCloseTo((float) z, within(1e-6f));
    }

    @Test
    void otherDataUsesTheFittedStatisticsAndInputIsUntouched() {
        Standardizer s = Standardizer.fit(TRAIN, 2);
        float[] test = {7, 6};
        float[] out = s.apply(test);
        assertThat(out[0]).isCloseTo((float) (4 / STD0), within(1e-6f));
        assertThat(out[1]).isEqualTo(1f);
        assertThat(test).containsExactly(7f, 6f);
    }

    @Test
    void rejectsRaggedInput() {
        assertThatThrownBy(() -> Standardizer.fit(new float[] {1, 2, 3}, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("standardizer needs at least one row of 2 features, got 3 values.");
        assertThatThrownBy(() -> Standardizer.fit(TRAIN, 2).apply(new float[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("standardizer expects rows of 2 features, got 1 values.");
    }
}
