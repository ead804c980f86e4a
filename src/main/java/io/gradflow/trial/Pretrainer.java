package io.gradflow.trial;

import io.gradflow.grid.Precision;
import io.gradflow.grid.PretrainSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.CommonRandom;
import io.gradflow.model.NetworkFactory;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Greedy layer-wise autoencoder pretraining (Bengio et al. 2007; Erhan et al. 2010, denoising with masking noise).
 * For each hidden block l = 1 .. depth in turn: the trial network (its blocks below l already pretrained, and left
 * as they are) computes block l's input for every training example; a small DL4J network, encoder = block l's
 * dense layer and activation starting from block l's current weights, decoder = a linear layer back to the width,
 * is trained with mean squared error to reconstruct that input (from a masked copy when the corruption is above 0)
 * for S minibatch steps with the trial's optimizer, learning rate and batch size; its encoder weights are then
 * copied into block l. The input projection and the output layer keep their initial draws.
 *
 * <p>Batch norm and the residual skip are not part of the autoencoder (the networks of those papers had
 * neither): with {@code batchnorm} the encoder is act(W·x) (the block's dense layer has no bias), and a residual
 * block's branch weights are pretrained as if the block were plain; the fine-tuning that follows trains the whole
 * block. Block l's input is computed in training mode (batch norm with the batch statistics of the whole training
 * set).
 *
 * <p>Only {@code NetworkFactory}'s names are used ({@code graph.getParam(denseName(l) + "_W")} and the block's
 * input vertex from the configuration), never the block's layer classes. Every random draw (decoder weights,
 * minibatch order, masking) follows {@link CommonRandom}: it depends on the seed, the block and the shapes.
 */
public final class Pretrainer {

    /** What pretraining took: wall time and the mean over blocks of each block's final reconstruction MSE. */
    public record Outcome(long timeMs, double reconstructionLoss, double[] perBlockLoss) {
    }

    private Pretrainer() {
    }

    public static Outcome run(TrialConfig c, ComputationGraph graph, INDArray trainX) {
        PretrainSpec p = c.pretrain();
        if (p.isNone()) {
            return new Outcome(0, Double.NaN, new double[0]);
        }
        long t0 = System.nanoTime();
        int w = c.width();
        int n = (int) trainX.size(0);
        int batch = Math.min(c.batchSize(), n);
        DataType dt = c.dtype() == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        double[] losses = new double[c.depth()];
        Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
        for (int l = 1; l <= c.depth(); l++) {
            String dense = NetworkFactory.denseName(l);
            INDArray wParam = graph.getParam(dense + "_W");
            boolean hasBias = graph.getLayer(dense).paramTable().containsKey("b");
            String below = inputs.get(dense).get(0);
            INDArray h = graph.feedForward(trainX, true).get(below).dup();
            MultiLayerNetwork ae = autoencoder(c, w, hasBias, dt);
            ae.getParam("0_W").assign(wParam);
            if (hasBias) {
                ae.getParam("0_b").assign(graph.getParam(dense + "_b"));
            }
            double[] dec = CommonRandom.standardNormals(CommonRandom.stream(c.seed(), "pretrain-decoder:" + l, w, w),
                    new double[w * w]);
            double std = Math.sqrt(2.0 / (w + w)); // Xavier: the decoder is linear
            for (int i = 0; i < dec.length; i++) {
                dec[i] *= std;
            }
            ae.getParam("1_W").assign(Nd4j.create(dec, new long[]{w, w}, 'c').castTo(dt));
            SplittableRandom order = new SplittableRandom(CommonRandom.stream(c.seed(), "pretrain-minibatches:" + l, n, batch));
            SplittableRandom noise = new SplittableRandom(CommonRandom.stream(c.seed(), "pretrain-noise:" + l, n, w));
            int[] perm = TrialRunner.permutation(n, order);
            int pos = 0;
            for (int s = 0; s < p.steps(); s++) {
                if (pos + batch > n) {
                    perm = TrialRunner.permutation(n, order);
                    pos = 0;
                }
                int[] idx = java.util.Arrays.copyOfRange(perm, pos, pos + batch);
                pos += batch;
                INDArray clean = Nd4j.pullRows(h, 1, idx);
                INDArray in = p.corruption() > 0 ? mask(clean, p.corruption(), noise) : clean;
                ae.fit(new DataSet(in, clean));
            }
            INDArray recon = ae.output(h, false);
            losses[l - 1] = recon.squaredDistance(h) / ((double) n * w);
            wParam.assign(ae.getParam("0_W"));
            if (hasBias) {
                graph.getParam(dense + "_b").assign(ae.getParam("0_b"));
            }
            NativeMemory.close(h, recon);
            // Not ae.close(), which calls System.gc(): the thread would wait for a whole collection per block (about
            // half a second each with gradflow's concurrent explicit collections). The autoencoder's buffers go now.
            var u = ae.getUpdater(false);
            NativeMemory.close(ae.params(), ae.getGradientsViewArray(), u == null ? null : u.getStateViewArray());
        }
        return new Outcome((System.nanoTime() - t0) / 1_000_000, Stats.meanFinite(losses), losses);
    }

    /** The block's autoencoder: encoder act(W·x + b) with the block's shape, linear decoder, mean squared error. */
    static MultiLayerNetwork autoencoder(TrialConfig c, int w, boolean hasBias, DataType dt) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(c.rngSeed())
                .dataType(dt)
                .updater(NetworkFactory.updater(c))
                .biasInit(0.0)
                .list()
                .layer(new DenseLayer.Builder().nIn(w).nOut(w).hasBias(hasBias)
                        .activation(NetworkFactory.activation(c.activation())).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(w).nOut(w)
                        .activation(new ActivationIdentity()).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Masking noise: each entry set to 0 with probability p, drawn row by row from {@code rnd}. */
    static INDArray mask(INDArray x, double p, SplittableRandom rnd) {
        long len = x.length();
        double[] m = new double[(int) len];
        for (int i = 0; i < m.length; i++) {
            m[i] = rnd.nextDouble() < p ? 0.0 : 1.0;
        }
        return x.mul(Nd4j.create(m, x.shape(), 'c').castTo(x.dataType()));
    }
}
