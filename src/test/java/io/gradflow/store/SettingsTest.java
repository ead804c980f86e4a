package io.gradflow.store;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A count setting is a whole number of 0 or more; anything else is refused with one line naming it and its value. */
class SettingsTest {

    @Test
    void countsAreWholeNumbersOfZeroOrMore() {
        assertThat(Settings.count("spark.gradflow.x", " 12 ", "rows")).isEqualTo(12);
        assertThat(Settings.count("spark.gradflow.x", "0", "rows")).isZero();
        for (String bad : new String[]{"-1", "1.5", "many", ""}) {
            assertThatThrownBy(() -> Settings.count("spark.gradflow.x", bad, "rows"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("spark.gradflow.x '" + bad + "' is not a whole number of rows (0 or more)");
        }
    }
}
