package io.gradflow.trial;

import io.gradflow.grid.Activation;
import io.gradflow.grid.ClipSpec;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.Arrays2;
import io.gradflow.model.NetworkFactory;
import io.gradflow.model.RezeroLayer;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradient clipping applied to real DL4J networks in double precision with plain SGD, where the update is
 * exactly −lr × (what the updater received): global-norm clipping against its definition on the raw gradient, and
 * DL4J's own per-layer rules checked to reach gradflow's custom layers (LinearLayer, FusedBatchNorm, RezeroLayer).
 */
class GradientClippingTest {

    private static final double LR = 0.1;
    private static final int BATCH = 8;
    private static final int FEATURES = 4;
    private static final int CLASSES = 3;

    private static TrialConfig config(ClipSpec clip, boolean bn, Residual residual) {
        return new TrialConfig(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), bn, residual, 3, 6, 1, BATCH,
                Optimizer.SGD, LR, Precision.DOUBLE, 1, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults(), clip);
    }

    private static DataSet batch() {
        var d = Fixtures.blobs(4 * BATCH, FEATURES, CLASSES, 5);
        double[] x = new double[BATCH * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = 3 * d.trainX()[i]; // larger inputs, larger gradients: every rule has something to clip
        }
        INDArray y = Nd4j.zeros(DataType.DOUBLE, BATCH, CLASSES);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, d.trainY()[i], 1.0);
        }
        return new DataSet(Nd4j.create(x, new long[]{BATCH, FEATURES}, 'c'), y);
    }

    /** Raw gradient (of the summed loss) and parameters before and after one step, per parameter. */
    private record Step(Map<String, double[]> raw, Map<String, double[]> before, Map<String, double[]> after,
                        Map<String, Boolean> divided, GradientClipping clipping, ComputationGraph graph) {
    }

    private static Step step(TrialConfig c) {
        ComputationGraph g = NetworkFactory.build(c, FEATURES, CLASSES).graph();
        Map<String, double[]> raw = new LinkedHashMap<>();
        Map<String, Boolean> divided = new LinkedHashMap<>();
        BaseTrainingListener capture = new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                ((ComputationGraph) model).gradient().gradientForVariable().forEach((k, v) -> {
                    raw.put(k, Arrays2.values(v));
                    int cut = k.lastIndexOf('_');
                    divided.put(k, g.getLayer(k.substring(0, cut)).updaterDivideByMinibatch(k.substring(cut + 1)));
                });
            }
        };
        GradientClipping clipping = new GradientClipping(c.clip());
        g.setListeners(capture, clipping);
        Map<String, double[]> before = params(g);
        g.fit(batch());
        return new Step(raw, before, params(g), divided, clipping, g);
    }

    private static Map<String, double[]> params(ComputationGraph g) {
        Map<String, double[]> out = new LinkedHashMap<>();
        g.paramTable().forEach((k, v) -> out.put(k, Arrays2.values(v)));
        return out;
    }

    private static double l2(Map<String, double[]> grads, Step s, boolean trainableOnly) {
        double ssq = 0;
        for (var e : grads.entrySet()) {
            if (trainableOnly && !s.divided().get(e.getKey())) {
                continue;
            }
            for (double v : e.getValue()) {
                double m = v / BATCH;
                ssq += m * m;
            }
        }
        return Math.sqrt(ssq);
    }

    /** ΔW = −lr·(g/B)·scale for every trainable parameter entry, to 1e-12 relative to the largest update. */
    private static void assertUpdate(Step s, java.util.function.ToDoubleBiFunction<String, Double> expected) {
        double max = 0;
        double worst = 0;
        for (String k : s.raw().keySet()) {
            if (!s.divided().get(k)) {
                continue;
            }
            double[] g = s.raw().get(k);
            double[] b = s.before().get(k);
            double[] a = s.after().get(k);
            for (int i = 0; i < g.length; i++) {
                double want = expected.applyAsDouble(k, g[i] / BATCH);
                max = Math.max(max, Math.abs(want));
                worst = Math.max(worst, Math.abs((a[i] - b[i]) - want));
            }
        }
        assertThat(max).isGreaterThan(0);
        assertThat(worst / max).as("largest deviation from the expected update, relative").isLessThanOrEqualTo(1e-12);
    }

    @Test
    void theGradientViewsAreReadThroughOneReusedBuffer() {
        // What GradientClipping relies on to allocate nothing per step: every gradient view of the network is
        // contiguous, so valuesInto fills the caller's buffer instead of making a copy.
        TrialConfig c = Fixtures.trial(Activation.RELU, InitSpec.of(InitSpec.Kind.HE), true, true, 3, 1)
                .withResidual(Residual.REZERO);
        ComputationGraph g = NetworkFactory.build(c, FEATURES, CLASSES).graph();
        double[] buf = new double[1 << 16];
        int[] checked = {0};
        g.setListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                ((ComputationGraph) model).gradient().gradientForVariable().forEach((k, v) -> {
                    double[] got = Arrays2.valuesInto(v, buf);
                    assertThat(got).as(k).isSameAs(buf);
                    assertThat(java.util.Arrays.copyOf(got, (int) v.length())).as(k).isEqualTo(Arrays2.values(v));
                    checked[0]++;
                });
            }
        });
        g.fit(batch());
        assertThat(checked[0]).as("every parameter's gradient").isEqualTo(g.paramTable().size());
    }

    @Test
    void globalNormClippingRescalesTheWholeGradientToAtMostC() {
        TrialConfig probe = config(ClipSpec.NONE, true, Residual.REZERO);
        Step free = step(probe);
        double norm = l2(free.raw(), free, true);
        assertThat(norm).isGreaterThan(0.05);
        // without clipping, plain SGD: ΔW = −lr·g/B
        assertUpdate(free, (k, gm) -> -LR * gm);
        assertThat(free.clipping().clippedShare()).isEqualTo(0.0);

        double c = norm / 4;
        Step clipped = step(probe.withClip(new ClipSpec(ClipSpec.Kind.NORM, c)));
        assertThat(l2(clipped.raw(), clipped, true)).isEqualTo(norm); // the same raw gradient, recorded unclipped
        assertUpdate(clipped, (k, gm) -> -LR * gm * Math.min(1, c / norm));
        assertThat(clipped.clipping().clippedShare()).isEqualTo(1.0);
        // batch norm's running statistics are updates, not gradients: not rescaled
        for (String k : clipped.raw().keySet()) {
            if (!clipped.divided().get(k)) {
                assertThat(clipped.after().get(k)).as(k).containsExactly(free.after().get(k));
            }
        }

        Step loose = step(probe.withClip(new ClipSpec(ClipSpec.Kind.NORM, 2 * norm)));
        assertUpdate(loose, (k, gm) -> -LR * gm);
        assertThat(loose.clipping().clippedShare()).isEqualTo(0.0);
    }

    @Test
    void dl4jPerLayerRulesReachGradflowsOwnLayers() {
        TrialConfig base = config(ClipSpec.NONE, true, Residual.REZERO);
        Step free = step(base);
        ComputationGraph g = step(base.withClip(new ClipSpec(ClipSpec.Kind.VALUE, 0.01))).graph();
        // a hidden block with batch norm is one FusedBlock layer (named like its dense layer)
        for (String name : new String[]{NetworkFactory.PROJECTION, NetworkFactory.denseName(2),
                NetworkFactory.scaleName(2), NetworkFactory.OUTPUT}) {
            Layer l = g.getLayer(name);
            assertThat(((org.deeplearning4j.nn.conf.layers.BaseLayer) l.conf().getLayer()).getGradientNormalization())
                    .as(name).isEqualTo(GradientNormalization.ClipElementWiseAbsoluteValue);
        }
        assertThat(g.getLayer(NetworkFactory.scaleName(2))).isInstanceOf(RezeroLayer.Impl.class);

        double maxAbs = 0;
        for (var e : free.raw().entrySet()) {
            if (free.divided().get(e.getKey())) {
                for (double v : e.getValue()) {
                    maxAbs = Math.max(maxAbs, Math.abs(v / BATCH));
                }
            }
        }
        double cv = maxAbs / 3;
        Step value = step(base.withClip(new ClipSpec(ClipSpec.Kind.VALUE, cv)));
        assertUpdate(value, (k, gm) -> -LR * Math.max(-cv, Math.min(cv, gm)));
        assertThat(value.clipping().clippedShare()).isEqualTo(1.0);

        // layer_norm: per layer, the norm of everything DL4J's updater holds for it after its division by B
        Map<String, Double> layerSsq = new LinkedHashMap<>();
        free.raw().forEach((k, v) -> {
            double scale = free.divided().get(k) ? BATCH : 1;
            double ssq = 0;
            for (double x : v) {
                ssq += (x / scale) * (x / scale);
            }
            layerSsq.merge(k.substring(0, k.lastIndexOf('_')), ssq, Double::sum);
        });
        double cl = layerSsq.values().stream().mapToDouble(Math::sqrt).max().orElseThrow() / 2;
        Step layer = step(base.withClip(new ClipSpec(ClipSpec.Kind.LAYER_NORM, cl)));
        assertUpdate(layer, (k, gm) -> {
            double n = Math.sqrt(layerSsq.get(k.substring(0, k.lastIndexOf('_'))));
            return -LR * gm * (n > cl ? cl / n : 1);
        });
        // the rezero gate and the custom dense and batch-norm layers were among the clipped ones
        assertThat(Math.sqrt(layerSsq.get(NetworkFactory.scaleName(3)))).isGreaterThan(0);
        assertThat(layer.clipping().clippedShare()).isEqualTo(1.0);

        Step none = step(base.withClip(new ClipSpec(ClipSpec.Kind.LAYER_NORM, 1e6)));
        assertUpdate(none, (k, gm) -> -LR * gm);
        assertThat(none.clipping().clippedShare()).isEqualTo(0.0);
    }

    @Test
    void statisticsRecordTheGradientBeforeClippingAndTheShareIsReported() {
        TrialConfig c = new TrialConfig(Activation.RELU, InitSpec.normal(1.0), false, Residual.NONE, 4, 16, 20, 32,
                Optimizer.SGD, 0.05, Precision.FLOAT, 1, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults(), ClipSpec.NONE);
        var data = Fixtures.blobs(200, FEATURES, CLASSES, 3);
        TrialResult free = TrialRunner.run(c, data, RunOptions.standalone());
        TrialResult clipped = TrialRunner.run(c.withClip(new ClipSpec(ClipSpec.Kind.NORM, 1e-3)), data, RunOptions.standalone());
        assertThat(free.summary().clippedShare()).isEqualTo(0.0);
        assertThat(clipped.summary().clippedShare()).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
        // step 0 starts from the same weights and minibatch: the recorded (raw) gradients are the same
        LayerStat a = free.layerStats().stream().filter(s -> s.step() == 0 && s.block() == 2).findFirst().orElseThrow();
        LayerStat b = clipped.layerStats().stream().filter(s -> s.step() == 0 && s.block() == 2).findFirst().orElseThrow();
        assertThat(b.gradNorm()).isEqualTo(a.gradNorm());
        assertThat(b.deltaPre()).isEqualTo(a.deltaPre());
        assertThat(b.updateRatio()).isLessThan(a.updateRatio());
    }
}
