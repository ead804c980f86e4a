package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link ExactTanh} against StrictMath and against DL4J's own tanh in double precision. */
class ExactTanhTest {

    @Test
    void tanhAndItsDerivativeMatchStrictMathEverywhere() {
        for (double a = 1e-300; a < 400; a *= 1.07) {
            for (double x : new double[]{a, -a}) {
                double t = StrictMath.tanh(x);
                assertThat(ExactTanh.tanh(x)).as("tanh(%s)", x).isCloseTo(t, within(2e-14 * Math.abs(t)));
                if (a < 300) {
                    double c = StrictMath.cosh(x);
                    double s2 = 1 / (c * c);
                    assertThat(ExactTanh.sech2(x)).as("sech²(%s)", x).isCloseTo(s2, within(1e-13 * s2));
                }
            }
        }
        assertThat(ExactTanh.tanh(0.0)).isZero();
        assertThat(ExactTanh.sech2(0.0)).isEqualTo(1.0);
        assertThat(ExactTanh.sech2(1000)).isZero();
    }

    /**
     * The array forms (on the Vector API in the test JVMs, {@link VectorTanh}, with a scalar tail) give the scalar
     * functions' bits for every element: both sides of the series threshold, ±0, NaN, ±∞, huge and tiny values,
     * in place and not, rounded to float and not, every length up to three vectors and a long one.
     */
    @Test
    void theArrayFormsGiveTheScalarFormsBits() {
        assertThat(FastExp.vectorized()).as("the test JVMs resolve jdk.incubator.vector").isTrue();
        SplittableRandom r = new SplittableRandom(5);
        double t5 = ExactTanh.SERIES_BELOW;
        double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, t5,
                -t5, Math.nextDown(t5), -Math.nextDown(t5), 1e-300, -1e-300, 400, -400, 1e-8, 0.5, -3};
        for (int len : new int[]{0, 1, 7, 8, 9, 15, 16, 17, 24, 25, 1000}) {
            double[] x = new double[len];
            for (int i = 0; i < len; i++) {
                x[i] = i < special.length && r.nextBoolean() ? special[i]
                        : r.nextGaussian() * (r.nextBoolean() ? 0.03 : 3);
            }
            for (boolean toFloat : new boolean[]{false, true}) {
                double[] y = new double[len];
                double[] d = new double[len];
                ExactTanh.tanhAndSech2(x, y, d, len, toFloat);
                double[] inPlace = x.clone();
                ExactTanh.tanh(inPlace, inPlace, len, toFloat);
                double[] dOne = new double[1];
                for (int i = 0; i < len; i++) {
                    double t = ExactTanh.tanhAndSech2(x[i], dOne, 0);
                    double ty = toFloat ? (float) t : t;
                    String at = "x = " + x[i] + ", length " + len + ", float " + toFloat;
                    assertThat(Double.doubleToLongBits(y[i])).as(at).isEqualTo(Double.doubleToLongBits(ty));
                    assertThat(Double.doubleToLongBits(inPlace[i])).as(at).isEqualTo(Double.doubleToLongBits(ty));
                    assertThat(Double.doubleToLongBits(d[i])).as(at).isEqualTo(Double.doubleToLongBits(dOne[0]));
                    assertThat(Double.doubleToLongBits(ExactTanh.tanh(x[i]))).as(at).isEqualTo(Double.doubleToLongBits(t));
                }
            }
        }
    }

    @Test
    void forwardAndBackwardEqualDl4jsTanhInDouble() {
        SplittableRandom r = new SplittableRandom(5);
        double[] x = new double[12 * 9];
        double[] eps = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7 == 0 ? 1e-9 : 3) * r.nextGaussian();
            eps[i] = r.nextGaussian();
        }
        for (char order : new char[]{'c', 'f'}) {
            INDArray in = Nd4j.create(x, new long[]{12, 9}, 'c').dup(order);
            INDArray e = Nd4j.create(eps, new long[]{12, 9}, 'c');
            INDArray ours = new ExactTanh().getActivation(in.dup(order), true);
            INDArray dl4j = new ActivationTanH().getActivation(in.dup(order), true);
            assertClose(ours, dl4j, 1e-15);
            INDArray gOurs = new ExactTanh().backprop(in.dup(order), e.dup()).getFirst();
            INDArray gDl4j = new ActivationTanH().backprop(in.dup(order), e.dup()).getFirst();
            assertClose(gOurs, gDl4j, 1e-14);
        }
    }

    @Test
    void floatKeepsSmallValuesThatNd4jFlushes() {
        float[] x = {1e-9f, -3e-9f, 1e-12f, 2.5e-8f, 0.25f};
        INDArray in = Nd4j.create(x, new long[]{1, x.length}, 'c');
        INDArray ours = new ExactTanh().getActivation(in.dup(), false);
        INDArray nd4j = new ActivationTanH().getActivation(in.dup(), false);
        for (int i = 0; i < x.length; i++) {
            assertThat(ours.getFloat(0, i)).isEqualTo((float) StrictMath.tanh(x[i]));
        }
        // the defect this class exists for: ND4J's float32 tanh returns 0 below 1e-8
        assertThat(nd4j.getFloat(0, 0)).isZero();
        assertThat(ours.dataType()).isEqualTo(DataType.FLOAT);
    }

    @Test
    void theNetworkUsesItAndItSurvivesDl4jsJsonRoundTrip() {
        TrialConfig c = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, true, 2, 3);
        assertThat(NetworkFactory.configuration(c, 4, 3).toJson()).contains(ExactTanh.class.getName());
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .addLayer("act", new ActivationLayer(new ExactTanh()), "in")
                .addLayer("out", new OutputLayer.Builder().nIn(4).nOut(3).build(), "act")
                .setOutputs("out").setInputTypes(InputType.feedForward(4)).build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertThat(((ActivationLayer) ((LayerVertex) back.getVertices().get("act")).getLayerConf().getLayer())
                .getActivationFn()).isEqualTo(new ExactTanh());
    }

    private static void assertClose(INDArray a, INDArray b, double tol) {
        double[] x = a.dup('c').data().asDouble();
        double[] y = b.dup('c').data().asDouble();
        assertThat(x).hasSameSizeAs(y);
        for (int i = 0; i < x.length; i++) {
            assertThat(x[i]).as("element %d", i).isCloseTo(y[i], within(tol * Math.max(1, Math.abs(y[i]))));
        }
    }
}
