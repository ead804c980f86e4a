package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.ClipSpec;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ViewUpdater} updates exactly as DL4J's own graph updater does (the same bits, every optimizer, with and
 * without batch norm's no-op updater blocks, with DL4J's per-layer clipping, float and double), and it is what
 * {@link NetworkFactory} installs.
 */
class ViewUpdaterTest {

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Optimizer o : Optimizer.values()) {
            for (boolean bn : new boolean[]{false, true}) {
                for (Precision p : new Precision[]{Precision.FLOAT, Precision.DOUBLE}) {
                    b.add(Arguments.of(o, bn, p, ClipSpec.NONE, 16));
                    if (o == Optimizer.SGD) {
                        // a minibatch size that is not a power of two: the fused SGD step divides in Java
                        b.add(Arguments.of(o, bn, p, ClipSpec.NONE, 12));
                    }
                }
            }
        }
        b.add(Arguments.of(Optimizer.ADAM, true, Precision.FLOAT, ClipSpec.parse("layer_norm(0.5)"), 16));
        b.add(Arguments.of(Optimizer.SGD, true, Precision.DOUBLE, ClipSpec.parse("value(0.01)"), 16));
        b.add(Arguments.of(Optimizer.SGD, true, Precision.FLOAT, ClipSpec.parse("layer_norm(0.05)"), 12));
        return b.build();
    }

    private static TrialConfig config(Optimizer o, boolean bn, Precision p, ClipSpec clip) {
        return new TrialConfig(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), bn, Residual.UNIT, 3, 8, 10, 16, o,
                0.05, p, 7, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults(), clip);
    }

    private static DataSet batch(DataType dt, long seed, int rows) {
        SplittableRandom r = new SplittableRandom(seed);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, rows, 4);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, rows, 3);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < 4; j++) {
                x.putScalar(i, j, 2 * r.nextGaussian());
            }
            y.putScalar(i, r.nextInt(3), 1.0);
        }
        return new DataSet(x.castTo(dt), y.castTo(dt));
    }

    @ParameterizedTest(name = "{0} batchnorm={1} {2} clip={3} batch={4}")
    @MethodSource("cases")
    void updatesBitForBitAsDl4jsUpdater(Optimizer o, boolean bn, Precision p, ClipSpec clip, int rows) {
        TrialConfig c = config(o, bn, p, clip);
        ComputationGraph ours = NetworkFactory.build(c, 4, 3).graph();
        ComputationGraph dl4j = NetworkFactory.build(c, 4, 3).graph();
        dl4j.setUpdater(new ComputationGraphUpdater(dl4j));
        assertThat(ours.getUpdater()).isInstanceOf(ViewUpdater.class);
        assertThat(dl4j.getUpdater()).isNotInstanceOf(ViewUpdater.class);
        assertThat(ours.params()).isEqualTo(dl4j.params());
        // the fused SGD step is taken exactly where its conditions hold: SGD (with or without batch norm's no-op
        // blocks), no clipping
        boolean fused = o == Optimizer.SGD && clip.equals(ClipSpec.NONE);
        assertThat(((ViewUpdater) ours.getUpdater()).sgdPlan() != null).as("fused SGD step").isEqualTo(fused);
        DataType dt = p == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        for (int step = 0; step < 8; step++) {
            DataSet ds = batch(dt, step, rows);
            ours.fit(ds);
            dl4j.fit(ds);
            assertThat(ours.score()).as("score at step %d", step).isEqualTo(dl4j.score());
            assertThat(ours.params()).as("parameters after step %d", step).isEqualTo(dl4j.params());
        }
        INDArray stateOurs = ours.getUpdater().getStateViewArray();
        INDArray stateDl4j = dl4j.getUpdater().getStateViewArray();
        if (o == Optimizer.SGD) {
            assertThat(stateOurs).isNull();
            assertThat(stateDl4j).isNull();
        } else {
            assertThat(stateOurs).isEqualTo(stateDl4j);
            assertThat(stateOurs.norm2Number().doubleValue()).isPositive();
        }
    }

    @Test
    void handsDl4jItsOwnViewOnlyForTheNetworksGradient() {
        ComputationGraph g = NetworkFactory.build(config(Optimizer.SGD, true, Precision.FLOAT, ClipSpec.NONE), 4, 3).graph();
        INDArray view = g.getUpdater().getFlattenedGradientsView();
        Gradient own = new DefaultGradient(view);
        // DL4J's DefaultGradient returns a new reshaped view every time: the identity test DL4J relies on fails.
        assertThat(own.gradient()).isNotSameAs(view);
        assertThat(ViewUpdater.own(own, view).gradient()).isSameAs(view);
        assertThat(ViewUpdater.own(own, view).gradientForVariable()).isSameAs(own.gradientForVariable());
        // another network's gradient (another buffer) stays external
        Gradient other = new DefaultGradient(view.dup());
        assertThat(ViewUpdater.own(other, view)).isSameAs(other);
        // a part of the view is not the view
        Gradient part = new DefaultGradient(view.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, view.length() - 1)));
        assertThat(ViewUpdater.own(part, view)).isSameAs(part);
    }
}
