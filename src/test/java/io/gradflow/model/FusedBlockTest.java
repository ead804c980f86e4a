package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FusedBlock} against DL4J's own layers in double precision: the same two blocks built as DL4J's dense layer
 * (identity activation) → DL4J's {@code BatchNormalization} → DL4J's {@code ActivationLayer} with DL4J's activation
 * (for tanh DL4J's own {@code ActivationTanH}, exact in double), with the same parameters (the flattened layouts are
 * the same), for every grid activation with and without batch norm: training-mode outputs, the score, every
 * gradient (weights, bias, γ, β and the running statistics' updates), six Adam steps, and inference with the
 * running statistics afterwards. Also the probe's records against the layered network's, JSON round trips, and
 * float determinism.
 */
class FusedBlockTest {

    private static final int W = 6;
    private static final int ROWS = 7;
    private static final int CLASSES = 3;
    private static final double TOL = 1e-10;
    /** For inference after training (see its use). */
    private static final double INFERENCE_TOL = 1e-9;

    static Stream<Arguments> kinds() {
        return Arrays.stream(Activation.values()).flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    private static ComputationGraphConfiguration conf(boolean fused, Activation a, boolean bn, DataType dt) {
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder().seed(3).dataType(dt)
                .updater(new Adam(0.05)).graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(W));
        String prev = "in";
        for (int l = 1; l <= 2; l++) {
            String d = "d" + l;
            if (fused) {
                b.addLayer(d, FusedBlock.of(W, NetworkFactory.activation(a), bn), prev);
                prev = d;
            } else {
                IActivation fn = a == Activation.TANH ? new ActivationTanH() : NetworkFactory.activation(a);
                b.addLayer(d, new DenseLayer.Builder().nIn(W).nOut(W).hasBias(!bn).activation(new ActivationIdentity()).build(), prev);
                prev = d;
                if (bn) {
                    b.addLayer(d + "bn", new BatchNormalization.Builder().nIn(W).nOut(W).build(), prev);
                    prev = d + "bn";
                }
                b.addLayer(d + "act", new ActivationLayer.Builder().activation(fn).build(), prev);
                prev = d + "act";
            }
        }
        b.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(W).nOut(CLASSES)
                .activation(new ActivationSoftmax()).build(), prev);
        return b.setOutputs("out").build();
    }

    private static ComputationGraph graph(ComputationGraphConfiguration c) {
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    private static DataSet data(long seed, DataType dt) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, ROWS, W);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, ROWS, CLASSES);
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < W; j++) {
                x.putScalar(i, j, r.nextGaussian() * 1.5 + 0.2);
            }
            y.putScalar(i, i % CLASSES, 1.0);
        }
        return new DataSet(x.castTo(dt), y.castTo(dt));
    }

    /** Random parameters, so that biases, γ, β and the running statistics all take part (log10 σ around 0). */
    private static INDArray randomParams(ComputationGraph g, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray p = g.params().dup();
        for (long i = 0; i < p.length(); i++) {
            p.putScalar(i, 0.6 * r.nextGaussian() + (r.nextInt(4) == 0 ? 1 : 0));
        }
        return p;
    }

    @ParameterizedTest(name = "{0} batchnorm={1}")
    @MethodSource("kinds")
    void trainsAndInfersAsDl4jsLayersInDouble(Activation a, boolean bn) {
        ComputationGraph ref = graph(conf(false, a, bn, DataType.DOUBLE));
        ComputationGraph ours = graph(conf(true, a, bn, DataType.DOUBLE));
        assertThat(ours.getLayer("d1")).isInstanceOf(FusedBlock.Impl.class);
        assertThat(ours.numParams()).isEqualTo(ref.numParams());
        INDArray p = randomParams(ref, 17);
        ref.setParams(p);
        ours.setParams(p.dup());
        DataSet ds = data(5, DataType.DOUBLE);

        INDArray refOut = ref.feedForward(ds.getFeatures(), true).get("d2act");
        INDArray ourOut = ours.feedForward(ds.getFeatures(), true).get("d2");
        assertClose("training-mode block output", ourOut, refOut);

        ref.setInputs(ds.getFeatures());
        ref.setLabels(ds.getLabels());
        ref.computeGradientAndScore();
        ours.setInputs(ds.getFeatures());
        ours.setLabels(ds.getLabels());
        ours.computeGradientAndScore();
        assertThat(Math.abs(ours.score() - ref.score())).isLessThan(TOL * Math.abs(ref.score()));
        for (String key : ref.gradient().gradientForVariable().keySet()) {
            String ourKey = key.replace("bn_", "_");
            assertClose("gradient " + key, ours.gradient().getGradientFor(ourKey), ref.gradient().getGradientFor(key));
        }
        assertClose("all gradients", ours.gradient().gradient(), ref.gradient().gradient());

        for (int step = 0; step < 6; step++) {
            DataSet mb = data(100 + step, DataType.DOUBLE);
            ref.fit(mb);
            ours.fit(mb);
        }
        assertClose("parameters after six Adam steps", ours.params(), ref.params());
        DataSet test = data(999, DataType.DOUBLE);
        // After six steps the parameters agree to TOL, and inference divides by the running deviations, which
        // amplifies that: on an Intel Xeon (AVX-512) the block output of the identity/batch-norm case differed by
        // 1.2e-10 of its norm (OpenBLAS and libnd4j pick their kernels by CPU, so DL4J's rounding differs by machine),
        // where an AMD EPYC gave less than 1e-10. A wrong formula would differ by orders of magnitude more.
        assertClose("inference output", ours.outputSingle(false, test.getFeatures()), ref.outputSingle(false, test.getFeatures()),
                INFERENCE_TOL);
        assertClose("inference block output", ours.feedForward(test.getFeatures(), false).get("d2"),
                ref.feedForward(test.getFeatures(), false).get("d2act"), INFERENCE_TOL);
    }

    @ParameterizedTest(name = "{0} batchnorm={1}")
    @MethodSource("kinds")
    void probeRecordsWhatTheLayeredNetworkRecords(Activation a, boolean bn) {
        for (boolean residual : new boolean[]{false, true}) {
            TrialConfig c = new TrialConfig(a, InitSpec.of(InitSpec.Kind.XAVIER), bn, residual, 3, W, 1, ROWS,
                    Optimizer.SGD, 0.1, Precision.DOUBLE, 4, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                    HealthThresholds.defaults());
            Network fused = NetworkFactory.build(c, W, CLASSES, true);
            Network layered = NetworkFactory.build(c, W, CLASSES, false);
            assertThat(fused.graph().params()).isEqualTo(layered.graph().params());
            DataSet ds = data(8, DataType.DOUBLE);
            for (Network n : new Network[]{fused, layered}) {
                n.graph().setInputs(ds.getFeatures());
                n.graph().setLabels(ds.getLabels());
                n.probe().arm(true);
                n.graph().computeGradientAndScore();
                n.probe().arm(false);
            }
            Probe f = fused.probe();
            Probe l = layered.probe();
            assertThat(f.batchSize()).isEqualTo(ROWS);
            for (int b = 1; b <= 3; b++) {
                String at = a + " bn=" + bn + " residual=" + residual + " block " + b;
                assertNear(at + " ‖δ‖", f.deltaPre(b), l.deltaPre(b));
                assertNear(at + " ‖δ_out‖", f.deltaOut(b), l.deltaOut(b));
                assertNear(at + " mean", f.actMean(b), l.actMean(b));
                assertNear(at + " std", f.actStd(b), l.actStd(b));
                assertNear(at + " saturated", f.actSaturated(b), l.actSaturated(b));
                assertNear(at + " dead", f.actDead(b), l.actDead(b));
            }
            assertClose(a + " gradients", fused.graph().gradient().gradient(), layered.graph().gradient().gradient());
        }
    }

    @Test
    void aNonFiniteInputGivesNoNormWhereTheLayeredNetworkGivesNone() {
        TrialConfig c = new TrialConfig(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, false, 2, W, 1, ROWS,
                Optimizer.SGD, 0.1, Precision.FLOAT, 4, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults());
        Probe[] probes = new Probe[2];
        for (int k = 0; k < 2; k++) {
            Network n = NetworkFactory.build(c, W, CLASSES, k == 0);
            DataSet ds = data(8, DataType.FLOAT);
            ds.getFeatures().putScalar(0, 0, Double.NaN);
            n.graph().setInputs(ds.getFeatures());
            n.graph().setLabels(ds.getLabels());
            n.probe().arm(true);
            n.graph().computeGradientAndScore();
            probes[k] = n.probe();
        }
        // Block 1's pre-activation holds the NaN; ReLU maps it to 0, so block 2 sees finite values in both.
        assertThat(probes[0].deltaPre(1)).isNaN();
        assertThat(probes[1].deltaPre(1)).isNaN();
        assertThat(Double.isNaN(probes[0].deltaPre(2))).isEqualTo(Double.isNaN(probes[1].deltaPre(2)));
    }

    @Test
    void floatTrainingIsBitIdenticalRunToRun() {
        INDArray[] after = new INDArray[2];
        for (int run = 0; run < 2; run++) {
            ComputationGraph g = graph(conf(true, Activation.GELU, true, DataType.FLOAT));
            g.setParams(randomParams(g, 21).castTo(DataType.FLOAT));
            for (int step = 0; step < 5; step++) {
                g.fit(data(40 + step, DataType.FLOAT));
            }
            after[run] = g.params().dup();
        }
        assertThat(after[0].dataType()).isEqualTo(DataType.FLOAT);
        assertThat(after[1]).isEqualTo(after[0]);
    }

    /**
     * The float path (un-armed training steps of float ReLU and identity blocks) against the double path, bit for
     * bit: parameters after six Adam steps with some steps armed (which take the double path) and a NaN and a −0
     * among the inputs, in plain and residual networks.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = Activation.class, names = {"RELU", "IDENTITY"})
    void theFloatPathGivesTheDoublePathsBits(Activation a) {
        for (boolean residual : new boolean[]{false, true}) {
            TrialConfig c = new TrialConfig(a, InitSpec.of(InitSpec.Kind.HE), false, residual, 3, W, 1, ROWS,
                    Optimizer.ADAM, 0.05, Precision.FLOAT, 4, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                    HealthThresholds.defaults());
            float[][] params = new float[2][];
            double[][] deltas = new double[2][];
            for (int k = 0; k < 2; k++) {
                FusedBlock.Impl.floatPath = k == 0;
                try {
                    Network net = NetworkFactory.build(c, W, CLASSES, true);
                    deltas[k] = new double[6];
                    for (int step = 0; step < 6; step++) {
                        DataSet ds = data(60 + step, DataType.FLOAT);
                        if (step == 2) {
                            ds.getFeatures().putScalar(1, 2, Double.NaN);
                            ds.getFeatures().putScalar(3, 1, -0.0);
                        }
                        boolean armed = step % 3 == 1;
                        net.probe().arm(armed);
                        net.graph().fit(ds);
                        net.probe().arm(false);
                        deltas[k][step] = armed ? net.probe().deltaPre(2) : 0;
                    }
                    params[k] = net.graph().params().toFloatVector();
                } finally {
                    FusedBlock.Impl.floatPath = true;
                }
            }
            assertThat(params[0]).as("%s residual=%s: parameters, float path against double path", a, residual)
                    .containsExactly(params[1]);
            assertThat(deltas[0]).containsExactly(deltas[1]);
        }
    }

    /**
     * Float ReLU and identity blocks with batch norm train in single precision ({@link FloatBatchNorm}) on every
     * step: sampled steps (probe armed) leave training bit for bit as it is without statistics, the parameters after
     * six SGD steps stay within float rounding of the double path's, and the probe's ‖δ‖ agrees with it.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = Activation.class, names = {"RELU", "IDENTITY"})
    void theFloatBatchNormPathIsTheDoublePathInFloatAndSamplingDoesNotChangeIt(Activation a) {
        for (boolean residual : new boolean[]{false, true}) {
            // SGD: Adam would turn the rounding noise of gradients that batch norm makes zero in exact arithmetic
            // (x·W shifted by a constant per column) into steps of the full learning rate, on either path.
            TrialConfig c = new TrialConfig(a, InitSpec.of(InitSpec.Kind.HE), true, residual, 3, W, 1, ROWS,
                    Optimizer.SGD, 0.1, Precision.FLOAT, 4, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                    HealthThresholds.defaults());
            // runs: float path sampled, float path never sampled, double path sampled
            float[][] params = new float[3][];
            double[][] deltas = new double[3][6];
            for (int k = 0; k < 3; k++) {
                FusedBlock.Impl.floatPath = k < 2;
                try {
                    Network net = NetworkFactory.build(c, W, CLASSES, true);
                    for (int step = 0; step < 6; step++) {
                        boolean armed = k != 1 && step % 3 == 1;
                        net.probe().arm(armed);
                        net.graph().fit(data(70 + step, DataType.FLOAT));
                        net.probe().arm(false);
                        deltas[k][step] = armed ? net.probe().deltaPre(2) : 0;
                    }
                    params[k] = net.graph().params().toFloatVector();
                } finally {
                    FusedBlock.Impl.floatPath = true;
                }
            }
            String at = a + " residual=" + residual;
            assertThat(bits(params[0])).as("%s: sampled and unsampled float training", at).isEqualTo(bits(params[1]));
            double num = 0;
            double den = 0;
            for (int i = 0; i < params[0].length; i++) {
                num += (params[0][i] - params[2][i]) * (double) (params[0][i] - params[2][i]);
                den += params[2][i] * (double) params[2][i];
            }
            assertThat(Math.sqrt(num / den)).as("%s: float path against double path", at).isLessThan(1e-5);
            assertThat(bits(params[0])).as("%s: the float path is its own arithmetic", at).isNotEqualTo(bits(params[2]));
            for (int step : new int[]{1, 4}) {
                assertThat(deltas[0][step]).as("%s ‖δ‖ at step %d", at, step).isPositive()
                        .isCloseTo(deltas[2][step], org.assertj.core.api.Assertions.withinPercentage(1e-3));
            }
        }
    }

    /** A NaN in the input reaches every parameter of a batch-norm block: sampled or not, the same bits still. */
    @Test
    void theFloatBatchNormPathKeepsNaNsAndSamplingDoesNotChangeThem() {
        TrialConfig c = new TrialConfig(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), true, false, 2, W, 1, ROWS,
                Optimizer.SGD, 0.1, Precision.FLOAT, 4, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults());
        int[][] params = new int[2][];
        double[] delta = new double[2];
        for (int k = 0; k < 2; k++) {
            Network net = NetworkFactory.build(c, W, CLASSES, true);
            DataSet ds = data(80, DataType.FLOAT);
            ds.getFeatures().putScalar(1, 2, Double.NaN);
            ds.getFeatures().putScalar(3, 1, -0.0);
            net.probe().arm(k == 0);
            net.graph().fit(ds);
            net.probe().arm(false);
            delta[k] = net.probe().deltaPre(1);
            params[k] = bits(net.graph().params().toFloatVector());
        }
        assertThat(params[0]).isEqualTo(params[1]);
        assertThat(delta[0]).as("block 1's pre-activation holds NaNs: no norm").isNaN();
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToIntBits(v[i]);
        }
        return b;
    }

    @Test
    void configurationSurvivesJsonAndClone() {
        for (boolean bn : new boolean[]{false, true}) {
            ComputationGraphConfiguration c = conf(true, Activation.LEAKYRELU, bn, DataType.DOUBLE);
            ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(c.toJson());
            assertThat(back).isEqualTo(c);
            assertThat(c.clone()).isEqualTo(c);
            ComputationGraph g = graph(c);
            ComputationGraph h = graph(back);
            h.setParams(g.params());
            DataSet ds = data(3, DataType.DOUBLE);
            assertThat(h.outputSingle(false, ds.getFeatures())).isEqualTo(g.outputSingle(false, ds.getFeatures()));
            assertThat(g.clone().outputSingle(false, ds.getFeatures())).isEqualTo(g.outputSingle(false, ds.getFeatures()));
        }
    }

    private static void assertNear(String what, double ours, double ref) {
        if (Double.isNaN(ref)) {
            assertThat(ours).as(what).isNaN();
        } else {
            assertThat(Math.abs(ours - ref)).as("%s: fused %s, layered %s", what, ours, ref)
                    .isLessThanOrEqualTo(TOL * Math.max(1e-3, Math.abs(ref)));
        }
    }

    private static void assertClose(String what, INDArray ours, INDArray ref) {
        assertClose(what, ours, ref, TOL);
    }

    private static void assertClose(String what, INDArray ours, INDArray ref, double tol) {
        assertThat(ours).as(what).isNotNull();
        assertThat(ours.shape()).as(what).isEqualTo(ref.shape());
        double diff = ours.castTo(DataType.DOUBLE).sub(ref.castTo(DataType.DOUBLE)).norm2Number().doubleValue();
        double scale = ref.castTo(DataType.DOUBLE).norm2Number().doubleValue();
        assertThat(diff).as("%s: |fused − DL4J| = %s, |DL4J| = %s", what, diff, scale)
                .isLessThanOrEqualTo(tol * Math.max(scale, 1e-4)); // γ/β gradients that vanish in theory
    }
}
