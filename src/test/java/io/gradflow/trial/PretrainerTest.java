package io.gradflow.trial;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.ClipSpec;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.PretrainSpec;
import io.gradflow.grid.Residual;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.Network;
import io.gradflow.model.NetworkFactory;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Greedy layer-wise autoencoder pretraining on real DL4J networks. */
class PretrainerTest {

    private final Dataset data = Fixtures.blobs(200, 4, 3, 11);

    private static TrialConfig trial(Activation a, boolean bn, Residual r, Precision dt, PretrainSpec p) {
        return new TrialConfig(a, InitSpec.of(InitSpec.Kind.XAVIER), bn, r, 4, 8, 30, 32, Optimizer.SGD, 0.1, dt, 1,
                Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults(), ClipSpec.NONE, p);
    }

    private INDArray trainX(DataType dt) {
        return Nd4j.create(data.trainX(), new long[]{data.trainSize(), data.features()}, 'c').castTo(dt);
    }

    @Test
    void parsesItsFormsAndKeepsOldIds() {
        assertThat(PretrainSpec.parse("none")).isEqualTo(PretrainSpec.NONE);
        assertThat(PretrainSpec.parse("autoencoder").key()).isEqualTo("autoencoder(100)");
        assertThat(PretrainSpec.parse("autoencoder(250, 0.25)")).isEqualTo(new PretrainSpec(PretrainSpec.Kind.AUTOENCODER, 250, 0.25));
        assertThat(PretrainSpec.parse("autoencoder(250, 0.25)").key()).isEqualTo("autoencoder(250, 0.25)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PretrainSpec.parse("rbm"))
                .hasMessageStartingWith("pretrain 'rbm' is not supported; choose one of none, autoencoder");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PretrainSpec.parse("autoencoder(30"))
                .hasMessageContaining("quote a value with one, e.g. [none, \"autoencoder(200, 0.25)\"]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PretrainSpec.parse("autoencoder(0)"))
                .hasMessageContaining("is not allowed; S must be between 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PretrainSpec.parse("autoencoder(10, 1.0)"))
                .hasMessageContaining("p a probability in [0, 1)");
        TrialConfig plain = Fixtures.trial(Activation.SIGMOID, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 3, 10);
        assertThat(plain.withPretrain(PretrainSpec.NONE).trialId()).isEqualTo(plain.trialId());
        assertThat(plain.withPretrain(PretrainSpec.parse("autoencoder")).canonical()).endsWith(";pretrain=autoencoder(100)");
    }

    @Test
    void eachBlockLearnsToReconstructItsInputAndOnlyHiddenBlocksChange() {
        for (double p : new double[]{0.0, 0.25}) {
            TrialConfig few = trial(Activation.SIGMOID, false, Residual.NONE, Precision.DOUBLE, new PretrainSpec(PretrainSpec.Kind.AUTOENCODER, 1, p));
            TrialConfig many = few.withPretrain(new PretrainSpec(PretrainSpec.Kind.AUTOENCODER, 300, p));
            Network a = NetworkFactory.build(few, data.features(), data.classes());
            Network b = NetworkFactory.build(many, data.features(), data.classes());
            INDArray before1 = b.graph().getParam(NetworkFactory.denseName(1) + "_W").dup();
            INDArray proj = b.graph().getParam(NetworkFactory.PROJECTION + "_W").dup();
            INDArray out = b.graph().getParam(NetworkFactory.OUTPUT + "_W").dup();
            Pretrainer.Outcome oa = Pretrainer.run(few, a.graph(), trainX(DataType.DOUBLE));
            Pretrainer.Outcome ob = Pretrainer.run(many, b.graph(), trainX(DataType.DOUBLE));
            assertThat(ob.perBlockLoss()).hasSize(4);
            for (int l = 0; l < 4; l++) {
                assertThat(ob.perBlockLoss()[l]).as("block %d, p = %s", l + 1, p).isFinite().isLessThan(oa.perBlockLoss()[l]);
            }
            assertThat(ob.reconstructionLoss()).isEqualTo(Stats.meanFinite(ob.perBlockLoss()));
            assertThat(ob.timeMs()).isGreaterThanOrEqualTo(0);
            assertThat(b.graph().getParam(NetworkFactory.denseName(1) + "_W")).isNotEqualTo(before1);
            assertThat(b.graph().getParam(NetworkFactory.PROJECTION + "_W")).isEqualTo(proj);
            assertThat(b.graph().getParam(NetworkFactory.OUTPUT + "_W")).isEqualTo(out);
        }
    }

    @Test
    void theCopiedEncoderComputesInTheTrialNetworkWhatItComputedInItsAutoencoder() {
        // in double: the block's activation in the trial network equals the autoencoder's encoder output on the same
        // input, so the weights were copied in their layout (a transposed square matrix would not match)
        TrialConfig c = trial(Activation.TANH, false, Residual.NONE, Precision.DOUBLE, new PretrainSpec(PretrainSpec.Kind.AUTOENCODER, 50, 0));
        Network n = NetworkFactory.build(c, data.features(), data.classes());
        INDArray x = trainX(DataType.DOUBLE);
        Pretrainer.run(c, n.graph(), x);
        var acts = n.graph().feedForward(x, false);
        for (int l = 1; l <= 4; l++) {
            MultiLayerNetwork ae = Pretrainer.autoencoder(c, 8, true, DataType.DOUBLE);
            ae.getParam("0_W").assign(n.graph().getParam(NetworkFactory.denseName(l) + "_W"));
            ae.getParam("0_b").assign(n.graph().getParam(NetworkFactory.denseName(l) + "_b"));
            // a hidden block is one fused layer, named like its dense layer: its output is the block's activation
            INDArray in = acts.get(l == 1 ? NetworkFactory.PROJECTION : NetworkFactory.denseName(l - 1));
            INDArray enc = ae.feedForward(in, false).get(1);
            INDArray blockOut = acts.get(NetworkFactory.denseName(l));
            assertThat(enc.sub(blockOut).amaxNumber().doubleValue()).as("block %d", l).isLessThan(1e-12);
        }
    }

    @Test
    void pretrainingIsDeterministicAndStepZeroIsTheStartOfFineTuning() {
        TrialConfig none = trial(Activation.SIGMOID, false, Residual.NONE, Precision.FLOAT, PretrainSpec.NONE);
        TrialConfig pre = none.withPretrain(PretrainSpec.parse("autoencoder(40, 0.2)"));
        TrialResult r0 = TrialRunner.run(none, data, RunOptions.standalone());
        TrialResult r1 = TrialRunner.run(pre, data, RunOptions.standalone());
        TrialResult r2 = TrialRunner.run(pre, data, RunOptions.standalone());
        assertThat(r1.summary().errorStack()).isNull();
        assertThat(r1.summary().pretrainLoss()).isFinite().isPositive();
        assertThat(r0.summary().pretrainLoss()).isNaN();
        assertThat(r1.summary().flowDeltaInit()).isFinite().isNotEqualTo(r0.summary().flowDeltaInit());
        assertThat(r2.summary().flowDeltaInit()).isEqualTo(r1.summary().flowDeltaInit());
        assertThat(r2.summary().pretrainLoss()).isEqualTo(r1.summary().pretrainLoss());
        assertThat(r1.summary().stepsCompleted()).isEqualTo(30);
        assertThat(r1.layerStats().get(0).step()).isZero();
        // the weight norm recorded at step 0 is the pretrained one
        assertThat(r1.layerStats().get(0).weightNorm()).isNotEqualTo(r0.layerStats().get(0).weightNorm());
    }

    @Test
    void everyActivationResidualFormAndBatchNormPretrains() {
        var small = Fixtures.blobs(64, 4, 3, 11);
        List<String> problems = new ArrayList<>();
        for (Activation a : Activation.values()) {
            for (Residual r : Residual.values()) {
                for (boolean bn : new boolean[]{false, true}) {
                    TrialConfig c = new TrialConfig(a, InitSpec.of(InitSpec.Kind.HE), bn, r, 3, 8, 3, 16, Optimizer.SGD, 0.01,
                            Precision.FLOAT, 1, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults(),
                            ClipSpec.NONE, PretrainSpec.parse("autoencoder(3, 0.1)"));
                    TrialSummary s = TrialRunner.run(c, small, RunOptions.standalone()).summary();
                    if (s.verdict() == Verdict.FAILED || !Double.isFinite(s.pretrainLoss())) {
                        problems.add(a.key() + "/" + r.key() + "/bn=" + bn + ": " + s.verdict() + " " + s.errorMessage());
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }
}
