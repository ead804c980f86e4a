package io.gradflow.model;

import io.gradflow.grid.Activation;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;
import io.gradflow.testutil.Fixtures;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.ops.NDLinalg;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The README's seed example, exactly: ten linear blocks whose weights are 0.5 × an orthogonal matrix scale every
 * gradient by exactly 0.5 per block, so the gradient leaving the stack (at its input, the projection's output)
 * is 0.5^10 = 9.765625e-4 of the gradient entering it (δ at the last block, which for the identity activation
 * is the gradient at the stack's output). The projection is orthogonal too and the inputs are the rows of the
 * identity matrix, so ∂loss/∂W_proj = xᵀ·g₀ = g₀, the gradient at the stack's input, with no rescaling.
 */
class SeedExampleTest {

    private static final int W = 8;
    private static final int DEPTH = 10;

    @ParameterizedTest
    @EnumSource(Precision.class)
    void tenBlocksAtHalfLeaveTwoToTheMinusTen(Precision precision) {
        TrialConfig c = new TrialConfig(Activation.IDENTITY, InitSpec.of(InitSpec.Kind.XAVIER), false, false, DEPTH, W,
                1, W, Optimizer.SGD, 0.01, precision, 1, Fixtures.blobsSpec(), StatsSchedule.log2(), 0.5,
                HealthThresholds.defaults());
        DataType dt = precision == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        Network net = NetworkFactory.build(c, W, 3);
        ComputationGraph g = net.graph();
        SplittableRandom rnd = new SplittableRandom(42);
        g.setParam(NetworkFactory.PROJECTION + "_W", orthogonal(rnd, 1.0, dt));
        for (int l = 1; l <= DEPTH; l++) {
            g.setParam(Network.weightParam(l), orthogonal(rnd, 0.5, dt));
        }
        INDArray x = Nd4j.eye(W).castTo(dt);
        INDArray y = Nd4j.zeros(dt, W, 3);
        for (int i = 0; i < W; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        g.setInputs(x);
        g.setLabels(y);
        net.probe().arm(true);
        g.computeGradientAndScore();
        net.probe().arm(false);

        double tol = precision == Precision.DOUBLE ? 1e-12 : 2e-6;
        for (int l = 1; l < DEPTH; l++) {
            assertThat(net.probe().deltaPre(l) / net.probe().deltaPre(l + 1)).as("‖δ_%d‖/‖δ_%d‖", l, l + 1)
                    .isCloseTo(0.5, within(0.5 * tol));
        }
        // The probe's norms are of the mean loss; DL4J's raw gradient is of the summed loss over the W examples.
        double atStackInput = g.gradient().getGradientFor(NetworkFactory.PROJECTION + "_W").norm2Number().doubleValue() / W;
        double ratio = atStackInput / net.probe().deltaPre(DEPTH);
        assertThat(ratio / 9.765625e-4).as("ratio %s", ratio).isCloseTo(1.0, within(tol));
        assertThat(Math.log10(net.probe().deltaPre(1) / net.probe().deltaPre(DEPTH))).isCloseTo(9 * Math.log10(0.5), within(tol));
    }

    /** scale × a random orthogonal W×W matrix (Q of the QR decomposition of a Gaussian matrix). */
    private static INDArray orthogonal(SplittableRandom rnd, double scale, DataType dt) {
        double[] a = new double[W * W];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian();
        }
        INDArray m = Nd4j.create(a, new long[]{W, W}, 'c');
        INDArray q = new NDLinalg().qr(m, true)[0];
        // Check Q is orthogonal to rounding before trusting it.
        assertThat(q.transpose().mmul(q).sub(Nd4j.eye(W)).norm2Number().doubleValue()).isLessThan(1e-12);
        return q.mul(scale).castTo(dt);
    }
}
