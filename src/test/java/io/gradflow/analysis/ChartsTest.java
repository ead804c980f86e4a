package io.gradflow.analysis;

import org.junit.jupiter.api.Test;

import java.awt.Color;

import static org.assertj.core.api.Assertions.assertThat;

/** The heatmap's own colour bar: a labelled tick at every decade, not only at the two ends. */
class ChartsTest {

    @Test
    void theColourBarHasATickAtEveryDecadeOnNarrowScalesAndFewerOnWideOnes() {
        assertThat(Charts.ticks(-6, 0)).containsExactly(-6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0);
        assertThat(Charts.ticks(-20, 5)).containsExactly(-20.0, -15.0, -10.0, -5.0, 0.0, 5.0);
    }

    @Test
    void theColourBarRunsFromTheFirstToTheLastViridisStop() {
        assertThat(Charts.viridis(0)).isEqualTo(Charts.VIRIDIS[0]);
        assertThat(Charts.viridis(1)).isEqualTo(Charts.VIRIDIS[Charts.VIRIDIS.length - 1]);
        assertThat(Charts.viridis(0.5)).isNotEqualTo(Color.WHITE);
    }
}
