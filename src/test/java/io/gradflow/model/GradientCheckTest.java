package io.gradflow.model;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import io.gradflow.trial.LayerStat;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import io.gradflow.trial.Verdict;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recorded gradient statistics against central finite differences of the loss, in double precision, for
 * every block kind. The statistics come from a real {@link TrialRunner} run (its step-0 {@code layer_stats}:
 * ‖δ_l‖ from the probed activation layer, ‖δ_out‖ from the probed residual add, ‖∂loss/∂W_l‖ from the gradient
 * listener); the minibatch is the whole training set, so the loss is the same function of the weights whatever
 * order the runner draws the examples in (batch norm's batch statistics do not depend on the order either).
 *
 * <p>How δ is differenced: δ_l = ∂loss/∂z_l at the input z_l of block l's activation (after batch norm when there
 * is one). A copy of the network is built from the same configuration with block l's activation layer replaced
 * by one that computes φ(z + E) for a fixed matrix E of the input's shape; with the same parameters and E = 0 it
 * is the same network, and ∂loss/∂E[i,j] = δ_l[i,j] exactly, so a central difference in each entry of E gives
 * each entry of δ_l, example by example, with batch norm in training mode (batch statistics) as in the step
 * itself. The residual stream's δ_out is differenced the same way with an add vertex that returns x + F(x) + E
 * (for the scaled forms x + s·F(x) + E, with s = 1/√depth or rezero's α on the branch).
 * Weight gradients are differenced entry by entry on the weights themselves.
 *
 * <p>The trial runs the network {@link NetworkFactory#build} makes, whose blocks are {@link FusedBlock}s; the shifts
 * need a block's pre-activation as a separate layer, so they go into {@link NetworkFactory#layeredConfiguration},
 * DL4J's separate layers with the same parameters in the same layout. The test first checks that both networks
 * compute the same loss, and the weight gradients are differenced on the fused network itself.
 */
class GradientCheckTest {

    private static final double EPS = 1e-6;
    private static final double TOL = 1e-5;
    private static final int WIDTH = 5;
    private static final int DEPTH = 3;
    private static final int BATCH = 6;
    private static final int FEATURES = 3;
    private static final int CLASSES = 3;

    static Stream<Arguments> blockKinds() {
        return Stream.of(
                Arguments.of(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, Residual.NONE, 5),
                Arguments.of(Activation.SIGMOID, InitSpec.normal(1.0), false, Residual.NONE, 5),
                Arguments.of(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), false, Residual.NONE, 6),
                Arguments.of(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), true, Residual.NONE, 5),
                Arguments.of(Activation.ELU, InitSpec.of(InitSpec.Kind.HE), true, Residual.NONE, 5),
                Arguments.of(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, Residual.UNIT, 5),
                Arguments.of(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), true, Residual.UNIT, 6),
                Arguments.of(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, Residual.SCALED, 5),
                Arguments.of(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), true, Residual.SCALED, 6),
                Arguments.of(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, Residual.REZERO, 5),
                Arguments.of(Activation.ELU, InitSpec.of(InitSpec.Kind.HE), true, Residual.REZERO, 5));
    }

    /**
     * A rezero net's gates start at α = 0, so at step 0 every branch's δ and weight gradient is exactly 0 (checked
     * exactly); its gradients are differenced at step 1, after one SGD step on the whole batch has moved each α off 0
     * (the reference network takes the same step), where every recorded norm is positive.
     */
    @ParameterizedTest(name = "{0} {1} batchnorm={2} residual={3} seed={4}")
    @MethodSource("blockKinds")
    void recordedNormsMatchFiniteDifferences(Activation act, InitSpec init, boolean bn, Residual residual, long seed) {
        boolean rezero = residual == Residual.REZERO;
        TrialConfig c = new TrialConfig(act, init, bn, residual, DEPTH, WIDTH, rezero ? 2 : 1, BATCH, Optimizer.SGD,
                0.1, Precision.DOUBLE, seed, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults(),
                io.gradflow.grid.ClipSpec.NONE);
        Dataset data = gaussianData(BATCH, 7);
        TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
        assertThat(r.summary().verdict()).as(String.valueOf(r.summary().errorMessage())).isNotEqualTo(Verdict.FAILED);
        List<LayerStat> step0 = r.layerStats().stream().filter(s -> s.step() == 0).toList();
        assertThat(step0).hasSize(DEPTH);

        ComputationGraph fused = NetworkFactory.build(c, FEATURES, CLASSES).graph();
        ComputationGraph ref = NetworkFactory.buildLayered(c, FEATURES, CLASSES).graph();
        assertThat(ref.params()).isEqualTo(fused.params());
        DataSet batch = new DataSet(Nd4j.create(toDoubles(data.trainX()), new long[]{BATCH, FEATURES}, 'c'),
                oneHot(data.trainY()));
        double loss = ref.score(batch, true);
        assertThat(Math.abs(fused.score(batch, true) - loss)).as("fused and layered loss").isLessThan(1e-13 * loss);
        List<LayerStat> checked = step0;
        if (rezero) {
            for (LayerStat s : step0) {
                assertThat(s.deltaPre()).as("δ inside a closed rezero branch, block %d", s.block()).isEqualTo(0.0);
                assertThat(s.gradNorm()).as("weight gradient inside a closed rezero branch, block %d", s.block()).isEqualTo(0.0);
                assertThat(s.deltaOut()).as("stream δ, block %d", s.block()).isGreaterThan(0.0);
            }
            // The stream is the identity at init: ‖δ‖ is the same at every block output.
            assertThat(r.summary().flowDeltaOutInit()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-12));
            assertThat(r.summary().flowDeltaInit()).isNaN();
            assertThat(r.summary().flowUnderflow()).isFalse();
            // both networks take the same SGD step: the weights are differenced on the fused one
            ref.fit(batch);
            fused.fit(batch);
            checked = r.layerStats().stream().filter(s -> s.step() == 1).toList();
            assertThat(checked).hasSize(DEPTH);
            for (int l = 1; l <= DEPTH; l++) {
                assertThat(ref.getParam(NetworkFactory.scaleName(l) + "_" + RezeroLayer.ALPHA).getDouble(0))
                        .as("α of block %d after one step", l).isNotEqualTo(0.0);
            }
        }

        if (act == Activation.RELU) {
            // A central difference straddling ReLU's kink measures ½(φ'(0−) + φ'(0+)), not DL4J's φ'(0) = 0. With
            // zero biases an example whose units of one block are all dead puts exact zeros into the next block's
            // pre-activation, so the data must keep every pre-activation away from the kink.
            java.util.Map<String, INDArray> acts = ref.feedForward(batch.getFeatures(), true);
            for (int l = 1; l <= DEPTH; l++) {
                INDArray z = acts.get(bn ? NetworkFactory.bnName(l) : NetworkFactory.denseName(l));
                assertThat(Transforms.abs(z).minNumber().doubleValue()).as("closest pre-activation to the kink, block %d", l)
                        .isGreaterThan(100 * EPS);
            }
        }
        for (int l = 1; l <= DEPTH; l++) {
            LayerStat s = checked.get(l - 1);
            assertThat(s.block()).isEqualTo(l);

            double fdW = l2(weightGradientFd(fused, batch, l));
            assertClose("‖∂loss/∂W_" + l + "‖", s.gradNorm(), fdW);

            ComputationGraph shifted = withShift(c, ref, l, false);
            double fdDelta = l2(shiftGradientFd(shifted, batch, ((ShiftedActivation.Impl) shifted.getLayer(NetworkFactory.actName(l))).shift));
            assertClose("‖δ_" + l + "‖", s.deltaPre(), fdDelta);

            if (residual.hasSkip()) {
                ComputationGraph shiftedAdd = withShift(c, ref, l, true);
                INDArray e = ((ShiftedAdd.Impl) shiftedAdd.getVertex(NetworkFactory.addName(l))).shift;
                assertClose("‖δ_out_" + l + "‖", s.deltaOut(), l2(shiftGradientFd(shiftedAdd, batch, e)));
            } else {
                assertThat(s.deltaOut()).isNaN();
            }
        }
    }

    private static void assertClose(String what, double recorded, double fd) {
        assertThat(fd).as(what + " by finite differences").isGreaterThan(1e-8);
        assertThat(Math.abs(recorded - fd) / fd).as("%s: recorded %s, finite differences %s", what, recorded, fd)
                .isLessThanOrEqualTo(TOL);
    }

    /** Central differences of the training-mode loss in every entry of block l's weight matrix. */
    private static double[] weightGradientFd(ComputationGraph g, DataSet batch, int l) {
        INDArray w = g.getParam(Network.weightParam(l));
        return centralDifferences(g, batch, w);
    }

    private static double[] shiftGradientFd(ComputationGraph g, DataSet batch, INDArray shift) {
        return centralDifferences(g, batch, shift);
    }

    /** ∂loss/∂a[k] for every entry k of {@code a}, an array the loss reads (a parameter or a shift), in place. */
    private static double[] centralDifferences(ComputationGraph g, DataSet batch, INDArray a) {
        long n = a.length();
        double[] out = new double[(int) n];
        for (int k = 0; k < n; k++) {
            // Linear indexing on the array itself: a reshape of DL4J's 'f'-ordered weights would be a copy.
            double v = a.getDouble(k);
            a.putScalar(k, v + EPS);
            double plus = g.score(batch, true);
            a.putScalar(k, v - EPS);
            double minus = g.score(batch, true);
            a.putScalar(k, v);
            out[k] = (plus - minus) / (2 * EPS);
        }
        return out;
    }

    /** A copy of {@code ref} (same parameters) whose block l activation input, or residual output, gets a shift E = 0. */
    private static ComputationGraph withShift(TrialConfig c, ComputationGraph ref, int l, boolean atAdd) {
        ComputationGraphConfiguration conf = NetworkFactory.layeredConfiguration(c, FEATURES, CLASSES);
        if (atAdd) {
            conf.getVertices().put(NetworkFactory.addName(l), new ShiftedAdd());
        } else {
            NeuralNetConfiguration lc = ((LayerVertex) conf.getVertices().get(NetworkFactory.actName(l))).getLayerConf();
            ShiftedActivation layer = new ShiftedActivation(NetworkFactory.activation(c.activation()));
            layer.setLayerName(NetworkFactory.actName(l));
            lc.setLayer(layer);
        }
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        g.setParams(ref.params().dup());
        assertThat(g.params()).isEqualTo(ref.params());
        INDArray shift = Nd4j.zeros(DataType.DOUBLE, BATCH, WIDTH);
        if (atAdd) {
            ((ShiftedAdd.Impl) g.getVertex(NetworkFactory.addName(l))).shift = shift;
        } else {
            ((ShiftedActivation.Impl) g.getLayer(NetworkFactory.actName(l))).shift = shift;
        }
        return g;
    }

    /** Activation layer computing φ(z + shift). */
    static final class ShiftedActivation extends org.deeplearning4j.nn.conf.layers.ActivationLayer {
        ShiftedActivation(IActivation fn) {
            super(new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder().activation(fn));
        }

        @Override
        public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                                           int index, INDArray paramsView, boolean initializeParams, DataType dt) {
            Impl ret = new Impl(conf, dt);
            ret.setListeners(listeners);
            ret.setIndex(index);
            ret.setParamsViewArray(paramsView);
            ret.setParamTable(initializer().init(conf, paramsView, initializeParams));
            ret.setConf(conf);
            return ret;
        }

        static final class Impl extends org.deeplearning4j.nn.layers.ActivationLayer {
            INDArray shift;

            Impl(NeuralNetConfiguration conf, DataType dt) {
                super(conf, dt);
            }

            @Override
            public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
                INDArray original = input;
                input = original.add(shift);
                try {
                    return super.activate(training, mgr);
                } finally {
                    input = original;
                }
            }
        }
    }

    /** Residual add returning x + F(x) + shift. */
    static final class ShiftedAdd extends org.deeplearning4j.nn.conf.graph.ElementWiseVertex {
        ShiftedAdd() {
            super(Op.Add);
        }

        @Override
        public ShiftedAdd clone() {
            return new ShiftedAdd();
        }

        @Override
        public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                          INDArray paramsView, boolean initializeParams, DataType dt) {
            return new Impl(graph, name, idx, dt);
        }

        static final class Impl extends org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex {
            INDArray shift;

            Impl(ComputationGraph graph, String name, int idx, DataType dt) {
                super(graph, name, idx, Op.Add, dt);
            }

            @Override
            public INDArray doForward(boolean training, LayerWorkspaceMgr mgr) {
                return super.doForward(training, mgr).addi(shift);
            }
        }
    }

    private static Dataset gaussianData(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * FEATURES];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % CLASSES;
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = (float) r.nextGaussian();
            }
        }
        return new Dataset("gaussian", FEATURES, CLASSES, x, y, x.clone(), y.clone());
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static INDArray oneHot(int[] y) {
        INDArray m = Nd4j.zeros(DataType.DOUBLE, y.length, CLASSES);
        for (int i = 0; i < y.length; i++) {
            m.putScalar(i, y[i], 1.0);
        }
        return m;
    }

    private static double l2(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
