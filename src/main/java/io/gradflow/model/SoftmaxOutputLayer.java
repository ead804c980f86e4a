package io.gradflow.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.util.Collection;

/**
 * DL4J's softmax output layer trained with multi-class cross-entropy ({@code OutputLayer} with {@code MCXENT}),
 * computed without ND4J ops in training: the layer's GEMMs are direct BLAS calls ({@link DenseGemm}) and the bias,
 * softmax, loss and its gradient are Java loops in double precision over the minibatch.
 *
 * <p>Why: DL4J 1.0.0-M2.1 computes the logits twice per step (once for the gradient, once for the score) and the
 * loss as a chain of about ten ND4J ops each time (a copy, the softmax, two clipping passes, the log, a product, a
 * sum; then again for the gradient), each op costing far more than its arithmetic on a 128 × 10 minibatch: the
 * output layer and the loss were about a sixth of a 64-wide step (JFR, BENCHMARKS.md).
 *
 * <p>The formulas are DL4J's: logits {@code z = x·W + b}; {@code p = softmax(z)} row by row
 * ({@code exp(z − max z)/Σ}); the score is {@code −Σ y·log(clip(p))/N} with DL4J's clipping of p to
 * {@code [ε, 1 − ε]} ({@code LossMCXENT}'s softmax clip ε, 1e-10 by default) plus the network's regularization term;
 * the gradient at the logits is {@code p − y} (unclipped, as DL4J's softmax branch), not divided by N (DL4J's updater
 * does that), and the weight, bias and input gradients follow. Values are rounded to the network's type where DL4J
 * had an array (the logits, p, δ). Anything else (another loss or activation, loss weights, a mask, dropout, weight
 * noise, a non-2-D input) takes DL4J's own code. Inference ({@code activate}, DL4J's {@code output}, and the direct
 * step's {@link Impl#inferenceOutput}) is the same Java softmax as training, not ND4J's softmax op: that op cost
 * 85–200 µs per call on a 300 × 3 test set at one thread (its dispatch, not its arithmetic) and milliseconds with
 * more OpenMP threads, and every sampled step evaluates the test set (BENCHMARKS.md); inference and training now
 * share one softmax. In float its last bits differ from ND4J's op (which computes in float); every inference path of
 * this layer gives the same bits. {@code SoftmaxOutputLayerTest} checks training and inference against DL4J's layer
 * in double precision.
 */
public class SoftmaxOutputLayer extends OutputLayer {

    /** For DL4J's JSON and clone machinery; use {@link #of}. */
    public SoftmaxOutputLayer() {
    }

    /** A softmax output layer of {@code nOut} classes on {@code nIn} inputs, with a bias, trained with MCXENT. */
    public static SoftmaxOutputLayer of(long nIn, long nOut) {
        OutputLayer built = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(nIn).nOut(nOut)
                .activation(new ActivationSoftmax()).build();
        return LayerWiring.copyFields(OutputLayer.class, built, new SoftmaxOutputLayer());
    }

    @Override
    public SoftmaxOutputLayer clone() {
        return (SoftmaxOutputLayer) super.clone();
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        if (getNIn() <= 0 || getNOut() <= 0) {
            throw new IllegalArgumentException("Output layer " + getLayerName() + " needs nIn and nOut, got " + getNIn()
                    + " and " + getNOut() + ".");
        }
        return LayerWiring.wire(new Impl(conf, networkDataType), initializer(), conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    /** The runtime layer. */
    public static class Impl extends org.deeplearning4j.nn.layers.OutputLayer {

        private final int k;
        private double[] z = new double[0];   // logits, then p
        private double[] y = new double[0];   // labels
        private final double[] vec;

        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
            k = (int) ((OutputLayer) conf.getLayer()).getNOut();
            vec = new double[k];
        }

        /** The loss when this layer computes it itself: MCXENT on a softmax, unweighted, else null. */
        private LossMCXENT plainLoss() {
            return input != null && input.rank() == 2 ? configuredLoss() : null;
        }

        /** {@link #plainLoss}'s conditions on the configuration alone (the direct step sets no input). */
        LossMCXENT configuredLoss() {
            var c = layerConf();
            if (c.getLossFn() instanceof LossMCXENT l && l.getWeights() == null
                    && c.getActivationFn() instanceof ActivationSoftmax && c.getIDropout() == null
                    && c.getWeightNoise() == null && maskArray == null && DirectBlas.supported(dataType)) {
                return l;
            }
            return null;
        }

        @Override
        protected Pair<INDArray, INDArray> preOutputWithPreNorm(boolean training, boolean forBackprop,
                                                                LayerWorkspaceMgr workspaceMgr) {
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            if (plainLoss() == null || input.columns() != W.rows()) {
                return super.preOutputWithPreNorm(training, forBackprop, workspaceMgr); // its checks and messages
            }
            INDArray x = DenseGemm.rowMajor(input.castTo(dataType));
            int r = (int) x.size(0);
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{r, k}, 'c');
            logits(x, r);
            DirectBlas.write(dataType, z, r * k, DirectBlas.address(out));
            return new Pair<>(out, out);
        }

        /**
         * DL4J's {@code activate} (the logits, then the softmax) with the Java softmax of training: one pass where
         * DL4J issues the softmax op. Anything {@link #plainLoss} does not cover takes DL4J's own code.
         */
        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            if (plainLoss() == null || input.columns() != W.rows()) {
                return super.activate(training, workspaceMgr);
            }
            INDArray x = DenseGemm.rowMajor(input.castTo(dataType));
            int r = (int) x.size(0);
            return probabilitiesInto(x, r,
                    workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[]{r, k}, 'c'));
        }

        @Override
        public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
            LossMCXENT loss = plainLoss();
            if (loss == null || labels == null || labels.rank() != 2) {
                return super.computeScore(fullNetRegTerm, training, workspaceMgr);
            }
            INDArray x = DenseGemm.rowMajor(input.castTo(dataType));
            int r = (int) x.size(0);
            probabilities(x, labels, r);
            score = score(loss, r, getInputMiniBatchSize(), fullNetRegTerm);
            return score;
        }

        /**
         * DL4J's clipped cross-entropy of the probabilities in {@link #z} against the labels in {@link #y}, over the
         * minibatch size where DL4J divides by it, plus {@code fullNetRegTerm}.
         */
        private double score(LossMCXENT loss, int r, int miniBatch, double fullNetRegTerm) {
            double eps = loss.getSoftmaxClipEps();
            boolean toFloat = dataType == DataType.FLOAT;
            double sum = 0;
            int len = r * k;
            for (int i = 0; i < len; i++) {
                double p = z[i];
                if (eps > 0) {
                    p = p < eps ? eps : (p > 1.0 - eps ? 1.0 - eps : p);
                }
                double t = Math.log(p);
                if (toFloat) {
                    t = (float) t;
                }
                sum += toFloat ? (float) (t * y[i]) : t * y[i];
            }
            double s = -sum;
            if (conf().isMiniBatch()) {
                s /= miniBatch;
            }
            s += fullNetRegTerm;
            return s;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            if (plainLoss() == null || labels == null || labels.rank() != 2) {
                return super.backpropGradient(epsilon, mgr);
            }
            assertInputSet(true);
            INDArray x = DenseGemm.rowMajor(input.castTo(dataType));
            int r = (int) x.size(0);
            int nIn = (int) x.size(1);
            probabilities(x, labels, r);
            Gradient ret = new DefaultGradient();
            INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[]{r, nIn}, 'c');
            backward(x, r, ret, dx);
            return new Pair<>(ret, dx);
        }

        /**
         * The direct step's pass through the output layer ({@link DirectStep}): the logits and softmax of row-major
         * {@code x}, the score against {@code labelArray} (what {@link #computeScore} gives after the same step, with
         * {@code fullNetRegTerm}), then the parameter gradients into DL4J's gradient views and ε for the last hidden
         * layer into {@code dx}. One pass computes the logits once; DL4J's path computes them in the backward pass
         * and again for the score, from the same input and parameters, so both give the same bits.
         */
        double trainingStep(INDArray x, INDArray labelArray, INDArray dx, double fullNetRegTerm) {
            LossMCXENT loss = configuredLoss();
            if (loss == null) {
                throw new IllegalStateException("Output layer " + layerId() + " cannot take the direct step: it is "
                        + "not a plain softmax with an unweighted cross-entropy.");
            }
            int r = (int) x.size(0);
            probabilities(x, labelArray, r);
            double s = score(loss, r, r, fullNetRegTerm);
            score = s;
            backward(x, r, null, dx);
            return s;
        }

        /**
         * The inference-mode output for row-major {@code x}, in a new detached array: the logits and the softmax as
         * {@link #activate} computes them, so the same bits as DL4J's inference path through this layer.
         */
        INDArray inferenceOutput(INDArray x) {
            int r = (int) x.size(0);
            return probabilitiesInto(x, r, Nd4j.createUninitializedDetached(dataType, 'c', r, k));
        }

        /** The softmax of x·W + b for row-major {@code x} of {@code r} rows, written into {@code out} (r × k, 'c'). */
        private INDArray probabilitiesInto(INDArray x, int r, INDArray out) {
            logits(x, r);
            softmax(r);
            DirectBlas.write(dataType, z, r * k, DirectBlas.address(out));
            return out;
        }

        /** From the probabilities in {@link #z}: δ = p − y, the weight and bias gradients, and ε into {@code dx}. */
        private void backward(INDArray x, int r, Gradient ret, INDArray dx) {
            int nIn = (int) x.size(1);
            int len = r * k;
            boolean toFloat = dataType == DataType.FLOAT;
            double[] d = z; // δ = p − y at the logits, in place
            for (int i = 0; i < len; i++) {
                d[i] = toFloat ? (float) (d[i] - y[i]) : d[i] - y[i];
            }
            INDArray dW = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
            long delta = DirectBlas.work(dataType, len);
            DirectBlas.write(dataType, d, len, delta);
            DenseGemm.weightGradient(dataType, x, delta, dW, r, nIn, k, layerId());
            if (ret != null) {
                ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, dW);
            }
            if (hasBias()) {
                DenseGemm.columnSums(d, r, k, vec);
                INDArray db = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
                DenseGemm.requireVector(db, k, dataType, layerId());
                DirectBlas.write(dataType, vec, k, DirectBlas.address(db));
                if (ret != null) {
                    ret.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, db);
                }
            }
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            DenseGemm.inputGradient(dataType, delta, W, dx, r, nIn, k);
        }

        /** {@link #z} = the softmax of x·W + b and {@link #y} = the labels: what the score and the gradient start from. */
        private void probabilities(INDArray x, INDArray labelArray, int r) {
            logits(x, r);
            readLabels(labelArray, r);
            softmax(r);
        }

        /** {@link #z} = x·W + b, rounded to the network's type after the product and after the bias. */
        private void logits(INDArray x, int r) {
            int len = r * k;
            if (z.length < len) {
                z = new double[len];
                y = new double[len];
            }
            INDArray W = getParam(DefaultParamInitializer.WEIGHT_KEY);
            long out = DirectBlas.work(dataType, len);
            DenseGemm.forward(dataType, x, W, out, r, (int) x.size(1), k, layerId());
            DirectBlas.read(dataType, out, z, len);
            if (hasBias()) {
                INDArray b = getParam(DefaultParamInitializer.BIAS_KEY);
                DenseGemm.requireVector(b, k, dataType, layerId());
                DirectBlas.read(dataType, DirectBlas.address(b), vec, k);
                DenseGemm.addRow(z, r, k, vec, dataType == DataType.FLOAT);
            }
        }

        /** {@link #z} = softmax of the logits in {@link #z}, row by row, rounded to the network's type. */
        private void softmax(int r) {
            boolean toFloat = dataType == DataType.FLOAT;
            for (int row = 0; row < r; row++) {
                int o = row * k;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, z[o + j]);
                }
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    double e = Math.exp(z[o + j] - max);
                    z[o + j] = e;
                    sum += e;
                }
                for (int j = 0; j < k; j++) {
                    double p = z[o + j] / sum;
                    z[o + j] = toFloat ? (float) p : p;
                }
            }
        }

        private void readLabels(INDArray labelArray, int r) {
            INDArray l = DenseGemm.rowMajor(labelArray.castTo(dataType));
            if (l.rank() != 2 || l.size(0) != r || l.size(1) != k) {
                throw new IllegalStateException("Output layer " + layerId() + " got labels of shape "
                        + java.util.Arrays.toString(labelArray.shape()) + " for a minibatch of " + r + " × " + k + ".");
            }
            DirectBlas.read(dataType, DirectBlas.address(l), y, r * k);
        }
    }
}
