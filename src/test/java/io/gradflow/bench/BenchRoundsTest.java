package io.gradflow.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-step comparison's rounds folded into one figure per side (gradflow bench --step-rounds). */
class BenchRoundsTest {

    @Test
    void gradflowRoundsGiveTheMedianOfTheirMediansAndTheExtremes() {
        Bench.Shape s = Bench.shapes(false).get(0);
        List<Bench.StepTiming> rounds = List.of(new Bench.StepTiming(s, 3.0, 2.0, 9.0, 1),
                new Bench.StepTiming(s, 1.0, 0.5, 4.0, 1), new Bench.StepTiming(s, 2.0, 1.5, 3.0, 1));
        Bench.StepTiming t = Bench.StepTiming.overRounds(rounds, 128);
        assertThat(t.msPerStep()).isEqualTo(2.0);
        assertThat(t.msMin()).isEqualTo(0.5);
        assertThat(t.msMax()).isEqualTo(9.0);
        assertThat(t.gflops()).isEqualTo(s.flopsPerStep(128, Bench.STEP_FEATURES, Bench.STEP_CLASSES) / 2e-3 / 1e9);
        assertThatThrownBy(() -> Bench.StepTiming.overRounds(List.of(), 128)).hasMessageContaining("at least one round");
    }

    @Test
    void torchRoundsGiveTheMedianOfTheirMediansAndTheExtremes() {
        TorchReference.TorchStep t = TorchReference.TorchStep.overRounds(List.of(new TorchReference.TorchStep(5, 4, 6),
                new TorchReference.TorchStep(7, 3, 8)));
        assertThat(t.msPerStep()).as("the upper of two middles, as Bench.median").isEqualTo(7);
        assertThat(t.msMin()).isEqualTo(3);
        assertThat(t.msMax()).isEqualTo(8);
    }
}
