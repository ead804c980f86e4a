package io.gradflow.grid;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Axis names, value parsing and defaults, and the small enums and records they parse to. */
class AxisTest {

    @Test
    void keysAreTheGridSpellings() {
        assertThat(Axis.BATCH_SIZE.key()).isEqualTo("batch_size");
        assertThat(Axis.parseName("learning_rate")).isEqualTo(Axis.LEARNING_RATE);
        assertThat(Axis.allowed()).isEqualTo("activation, init, batchnorm, residual, depth, width, steps, batch_size,"
                + " optimizer, learning_rate, dtype, clip, parallelism, workers, batch_size_per_worker, averaging_frequency, pretrain");
    }

    @Test
    void unknownAxisNameListsTheAxes() {
        assertThatThrownBy(() -> Axis.parseName("Depth"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("axis 'Depth' is not known")
                .hasMessageContaining(Axis.allowed());
    }

    @Test
    void defaultsAreTyped() {
        assertThat(Axis.ACTIVATION.defaultValue()).isEqualTo(Activation.RELU);
        assertThat(Axis.INIT.defaultValue()).isEqualTo(InitSpec.of(InitSpec.Kind.HE));
        assertThat(Axis.BATCHNORM.defaultValue()).isEqualTo(false);
        assertThat(Axis.RESIDUAL.defaultValue()).isEqualTo(Residual.NONE);
        assertThat(Axis.CLIP.defaultValue()).isEqualTo(ClipSpec.NONE);
        assertThat(Axis.DEPTH.defaultValue()).isEqualTo(5);
        assertThat(Axis.WIDTH.defaultValue()).isEqualTo(64);
        assertThat(Axis.STEPS.defaultValue()).isEqualTo(200);
        assertThat(Axis.BATCH_SIZE.defaultValue()).isEqualTo(64);
        assertThat(Axis.OPTIMIZER.defaultValue()).isEqualTo(Optimizer.SGD);
        assertThat(Axis.LEARNING_RATE.defaultValue()).isEqualTo(0.01);
        assertThat(Axis.DTYPE.defaultValue()).isEqualTo(Precision.FLOAT);
    }

    @Test
    void integerAxesAcceptTheirBounds() {
        assertThat(Axis.DEPTH.parse("1")).isEqualTo(1);
        assertThat(Axis.DEPTH.parse(String.valueOf(TrialConfig.MAX_DEPTH))).isEqualTo(TrialConfig.MAX_DEPTH);
        assertThat(Axis.WIDTH.parse(" 16384 ")).isEqualTo(TrialConfig.MAX_WIDTH);
    }

    @Test
    void integerAxisBeyondIntRangeIsOutOfRangeNotOverflowed() {
        assertThatThrownBy(() -> Axis.STEPS.parse("4294967297"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("steps 4294967297 is not allowed");
    }

    @Test
    void learningRateAcceptsTenAndScientificNotation() {
        assertThat(Axis.LEARNING_RATE.parse("10")).isEqualTo(10.0);
        assertThat(Axis.LEARNING_RATE.parse("1e-3")).isEqualTo(0.001);
    }

    @Test
    void learningRateRejectsNonNumbersAndNan() {
        assertThatThrownBy(() -> Axis.LEARNING_RATE.parse("fast"))
                .hasMessageContaining("learning_rate 'fast' is not a number");
        assertThatThrownBy(() -> Axis.LEARNING_RATE.parse("NaN"))
                .hasMessageContaining("learning_rate NaN is not allowed");
    }

    @Test
    void dtypeListsItsValues() {
        assertThat(Axis.DTYPE.parse("Double")).isEqualTo(Precision.DOUBLE);
        assertThatThrownBy(() -> Axis.DTYPE.parse("half"))
                .hasMessageContaining("dtype 'half' is not supported")
                .hasMessageContaining("float, double");
    }

    @Test
    void renderIsTheGridSpelling() {
        assertThat(Axis.render(Activation.LEAKYRELU)).isEqualTo("leakyrelu");
        assertThat(Axis.render(Optimizer.MOMENTUM)).isEqualTo("momentum");
        assertThat(Axis.render(Precision.DOUBLE)).isEqualTo("double");
        assertThat(Axis.render(InitSpec.normal(0.25))).isEqualTo("normal(0.25)");
        assertThat(Axis.render(true)).isEqualTo("true");
        assertThat(Axis.render(0.001)).isEqualTo("0.001");
    }

    @Test
    void activationFamiliesDecideWhichStatisticsApply() {
        assertThat(Activation.RELU.canDie()).isTrue();
        assertThat(Activation.SIGMOID.canDie()).isFalse();
        assertThat(Activation.TANH.canSaturate()).isTrue();
        assertThat(Activation.RELU.canSaturate()).isFalse();
        assertThat(Activation.IDENTITY.canDie()).isFalse();
        assertThat(Activation.IDENTITY.canSaturate()).isFalse();
    }

    @Test
    void activationParseIsExactAndListsTheAllowedOnes() {
        assertThat(Activation.parse("gelu")).isEqualTo(Activation.GELU);
        assertThatThrownBy(() -> Activation.parse("swish"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("activation 'swish' is not supported; choose one of "
                        + "sigmoid, tanh, relu, leakyrelu, elu, gelu, identity, softsign, selu");
    }

    @Test
    void healthThresholdsNeedTheRightSigns() {
        assertThat(HealthThresholds.defaults()).isEqualTo(new HealthThresholds(-2, 2));
        assertThatThrownBy(() -> new HealthThresholds(0, 2))
                .hasMessageContaining("health.vanishing_below 0.0 is not allowed");
        assertThatThrownBy(() -> new HealthThresholds(-2, 0))
                .hasMessageContaining("health.exploding_above 0.0 is not allowed");
        assertThatThrownBy(() -> new HealthThresholds(Double.NEGATIVE_INFINITY, 2))
                .hasMessageContaining("health.vanishing_below -Infinity");
    }
}
