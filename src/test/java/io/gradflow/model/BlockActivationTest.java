package io.gradflow.model;

import io.gradflow.grid.Activation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every grid activation of {@link BlockActivation} against DL4J's own {@code IActivation} (the one
 * {@link NetworkFactory#activation} configures) in double precision: forward values and backward products, at the
 * kinks (±0), tiny and huge inputs, and random ones.
 */
class BlockActivationTest {

    private static final double[] SPECIAL = {0.0, -0.0, 1e-300, -1e-300, 1e-12, -1e-12, 1e-5, -1e-5, 0.5, -0.5, 1, -1,
            2.5, -2.5, 10, -10, 40, -40, 700, -700, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.7, -0.7};

    @ParameterizedTest
    @EnumSource(Activation.class)
    void forwardAndBackwardEqualDl4jsInDouble(Activation a) {
        SplittableRandom r = new SplittableRandom(11);
        double[] x = new double[SPECIAL.length + 200];
        System.arraycopy(SPECIAL, 0, x, 0, SPECIAL.length);
        for (int i = SPECIAL.length; i < x.length; i++) {
            x[i] = r.nextGaussian() * (i % 3 == 0 ? 5 : 1);
        }
        double[] eps = new double[x.length];
        for (int i = 0; i < eps.length; i++) {
            eps[i] = 0.5 + r.nextDouble();
        }
        eps[eps.length - 1] = Double.NaN; // a NaN upstream gradient, at a positive and a negative pre-activation
        eps[SPECIAL.length - 2] = Double.NaN;
        eps[SPECIAL.length - 1] = Double.NaN;
        IActivation dl4j = NetworkFactory.activation(a);
        BlockActivation ours = BlockActivation.of(dl4j);
        assertThat(ours).as("the fused block's function of %s", dl4j).isNotNull();
        assertThat(ours.kind()).isEqualTo(a);
        INDArray in = Nd4j.create(x, new long[]{x.length}, DataType.DOUBLE);
        double[] fwd = dl4j.getActivation(in.dup(), true).toDoubleVector();
        double[] bwd = dl4j.backprop(in.dup(), Nd4j.create(eps, new long[]{x.length}, DataType.DOUBLE)).getFirst()
                .toDoubleVector();
        for (int i = 0; i < x.length; i++) {
            // GELU's 1 + tanh(u) cancels for negative x: one ulp of tanh (ND4J's and Java's differ by that) is
            // an absolute ~1e-16·|x| in φ. At x = -4.1529 mpmath's exact value lies between ours and DL4J's.
            double slack = a == Activation.GELU ? 1e-15 * Math.abs(x[i]) : 0;
            assertClose("φ(" + x[i] + ")", ours.value(x[i]), fwd[i], slack);
            assertClose("ε·φ'(" + x[i] + ") at ε = " + eps[i], ours.backward(x[i], eps[i]), bwd[i], slack);
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void bulkLoopsEqualTheElementwiseFunctions(Activation a) {
        BlockActivation f = BlockActivation.of(a);
        SplittableRandom r = new SplittableRandom(3);
        int n = SPECIAL.length + 50;
        double[] x = new double[n];
        double[] g = new double[n];
        System.arraycopy(SPECIAL, 0, x, 0, SPECIAL.length);
        for (int i = 0; i < n; i++) {
            if (i >= SPECIAL.length) {
                x[i] = (float) (3 * r.nextGaussian());
            }
            g[i] = (float) r.nextGaussian();
        }
        for (boolean toFloat : new boolean[]{false, true}) {
            // In a float network the pre-activations are floats already.
            double[] in = x.clone();
            if (toFloat) {
                BlockActivation.roundToFloat(in, n);
            }
            double[] y = new double[n];
            f.forward(in, y, n, toFloat);
            double[] d = g.clone();
            f.backward(in, d, n, toFloat);
            for (int i = 0; i < n; i++) {
                double v = f.value(in[i]);
                double b = f.backward(in[i], g[i]);
                assertThat((Double) y[i]).as("φ(%s), float %s", in[i], toFloat).isEqualTo(Double.valueOf(toFloat ? (float) v : v));
                assertThat((Double) d[i]).as("backward(%s), float %s", in[i], toFloat).isEqualTo(Double.valueOf(toFloat ? (float) b : b));
            }
            if (f.cachesDerivative()) {
                // the training pass that keeps φ' gives the same bits, forward and backward
                double[] y2 = new double[n];
                double[] dphi = new double[n];
                f.forwardTraining(in, y2, dphi, n, toFloat);
                double[] d2 = g.clone();
                BlockActivation.backwardCached(dphi, d2, n, toFloat);
                for (int i = 0; i < n; i++) {
                    assertThat((Double) y2[i]).as("cached φ(%s), float %s", in[i], toFloat).isEqualTo((Double) y[i]);
                    assertThat((Double) d2[i]).as("cached backward(%s), float %s", in[i], toFloat).isEqualTo((Double) d[i]);
                }
            } else {
                assertThatThrownBy(() -> f.forwardTraining(in, new double[n], new double[n], n, false))
                        .isInstanceOf(IllegalStateException.class);
            }
        }
        assertThat(f.cachesDerivative()).isEqualTo(a == Activation.SIGMOID || a == Activation.TANH
                || a == Activation.ELU || a == Activation.SELU);
    }

    private static void assertClose(String what, double ours, double dl4j, double slack) {
        if (!Double.isFinite(dl4j)) {
            if (Double.isNaN(dl4j)) {
                assertThat(ours).as("%s: DL4J NaN", what).isNaN();
            } else {
                assertThat(ours).as("%s: DL4J %s", what, dl4j).isEqualTo(dl4j);
            }
            return;
        }
        double tol = 1e-14 * Math.abs(dl4j) + slack + 1e-300;
        assertThat(Math.abs(ours - dl4j)).as("%s: ours %s, DL4J %s", what, ours, dl4j).isLessThanOrEqualTo(tol);
    }
}
