package io.gradflow.model;

import io.gradflow.grid.ClipSpec;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.TrialConfig;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The single place that turns a trial configuration into a DL4J network: an input projection (linear, so the
 * first hidden block sees the data rather than a transformed copy), {@code depth} hidden blocks of equal width,
 * and a softmax output trained with cross-entropy. A plain block is Dense → [BatchNorm] → activation; a
 * residual block computes {@code x + act(BN(Dense(x)))}, a scaled one {@code x + act(BN(Dense(x)))/√depth} (DL4J's
 * {@code ScaleVertex} on the branch) and a rezero one {@code x + α·act(BN(Dense(x)))} ({@link RezeroLayer} on the
 * branch, α = 0 at the start). Every weight layer uses the configured initialization, biases start at zero, and a
 * Dense layer followed by batch norm has no bias (BN's shift replaces it). The per-layer clipping rules
 * ({@code layer_norm}, {@code value}) are DL4J's gradient normalization, set once on the builder so that every
 * layer with parameters (gradflow's own included) inherits it; global-norm clipping is not a layer setting (see
 * {@code trial.GradientClipping}).
 */
public final class NetworkFactory {

    public static final String INPUT = "input";
    public static final String PROJECTION = "proj";
    public static final String OUTPUT = "output";
    /** Whether {@link #build} and {@link #configuration} make fused blocks; the layered graph is the reference. */
    static final boolean FUSED = true;

    private NetworkFactory() {
    }

    public static String denseName(int block) {
        return "b" + block + "_dense";
    }

    public static String bnName(int block) {
        return "b" + block + "_bn";
    }

    public static String actName(int block) {
        return "b" + block + "_act";
    }

    public static String addName(int block) {
        return "b" + block + "_add";
    }

    /** The branch scale of a scaled or rezero block: a {@code ScaleVertex} or a {@link RezeroLayer}. */
    public static String scaleName(int block) {
        return "b" + block + "_scale";
    }

    /** Builds and initializes the network of {@code c} for {@code nIn} inputs and {@code nOut} classes. */
    public static Network build(TrialConfig c, int nIn, int nOut) {
        return build(c, nIn, nOut, (ModelFiles) null);
    }

    /**
     * {@link #build}, reading a warm start's model ({@code init: pretrained(...)}) from {@code models}: the network
     * is drawn as for any trial (the layers a warm start replaces get Xavier's rule), then {@link WarmStart} copies
     * the model's weights in.
     */
    public static Network build(TrialConfig c, int nIn, int nOut, ModelFiles models) {
        Network net = build(c, nIn, nOut, FUSED);
        if (c.init().isPretrained()) {
            if (models == null) {
                throw new IllegalArgumentException("init '" + c.init().key() + "' needs the model files; this caller gave none");
            }
            ComputationGraph source = models.read(c.init().modelFor(c.seed()));
            try {
                WarmStart.apply(net.graph(), source, c);
            } finally {
                // Not ComputationGraph.close(), which calls System.gc(): the source's one buffer goes now.
                source.params().close();
            }
        }
        return net;
    }

    /** {@link #build} with fused blocks or with DL4J's separate layers per block (see {@link #configuration}). */
    static Network build(TrialConfig c, int nIn, int nOut, boolean fused) {
        return build(c, configuration(c, nIn, nOut, fused), nIn, nOut);
    }

    /**
     * The same network as {@link #build} with every hidden block as DL4J's separate layers ({@link #layeredConfiguration}):
     * the same parameters in the same flattened layout and the same probes, for checking the fused blocks.
     */
    public static Network buildLayered(TrialConfig c, int nIn, int nOut) {
        return build(c, nIn, nOut, false);
    }

    private static Network build(TrialConfig c, ComputationGraphConfiguration conf, int nIn, int nOut) {
        ComputationGraph graph = new DirectGraph(conf);
        initWithoutDraws(graph);
        ViewUpdater.install(graph);
        initialWeights(graph, c, nIn, nOut);
        Probe probe = new Probe(c.depth(), c.activation());
        for (int l = 1; l <= c.depth(); l++) {
            if (graph.getLayer(denseName(l)) instanceof FusedBlock.Impl fused) {
                fused.attach(probe, l);
            } else {
                ((ProbedActivationLayer.Impl) graph.getLayer(actName(l))).attach(probe, l);
            }
            if (c.residual().hasSkip()) {
                GraphVertex add = graph.getVertex(addName(l));
                ((ProbedAddVertex.Impl) add).attach(probe, l);
            }
        }
        return new Network(graph, probe, c.depth());
    }

    /**
     * {@code graph.init()} with every layer's weight-initialization rule set to zeros while it runs, then put back
     * (the layers share the configuration's layer objects, so a saved model names the trial's rule). Why: DL4J's
     * init draws every weight matrix from ND4J's random generator, and {@link #initialWeights} replaces all of them
     * with common random numbers straight after: those draws were about half of building a network, 3-6 ms of a
     * quick-grid trial's 150-200 ms on a quiet machine and 25-45 ms with both cores busy (BENCHMARKS.md). Biases and
     * batch norm's parameters do not come from the rule and get DL4J's values as before; nothing in a trial draws
     * from ND4J's generator afterwards (no dropout or weight noise), so every result keeps its bits.
     */
    static void initWithoutDraws(ComputationGraph graph) {
        Map<String, IWeightInit> rules = new LinkedHashMap<>();
        graph.getConfiguration().getVertices().forEach((name, v) -> {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer b) {
                rules.put(name, b.getWeightInitFn());
                b.setWeightInitFn(ZEROS);
            }
        });
        try {
            graph.init();
        } finally {
            rules.forEach((name, rule) -> ((BaseLayer) ((LayerVertex) graph.getConfiguration().getVertices().get(name))
                    .getLayerConf().getLayer()).setWeightInitFn(rule));
        }
    }

    private static final IWeightInit ZEROS = WeightInit.ZERO.getWeightInitFunction();

    /**
     * Replaces DL4J's initial draws of every weight layer by common random numbers ({@link CommonRandom}): the
     * standard-normal draws depend on the user's seed, the layer and its shape only, and the init rule scales them
     * (xavier √(2/(fan_in+fan_out)), he √(2/fan_in), lecun √(1/fan_in), normal(s) s), the same Gaussians DL4J's
     * rules draw. Biases stay 0 and batch norm's γ = 1, β = 0.
     */
    static void initialWeights(ComputationGraph graph, TrialConfig c, int nIn, int nOut) {
        int w = c.width();
        setWeights(graph, PROJECTION, c, nIn, w);
        for (int l = 1; l <= c.depth(); l++) {
            setWeights(graph, denseName(l), c, w, w);
        }
        setWeights(graph, OUTPUT, c, w, nOut);
    }

    /**
     * A weight layer's initial values, row-major {@code [fan_in, fan_out]}: its common standard-normal draws scaled by
     * the trial's init rule.
     */
    static double[] initialValues(TrialConfig c, String layer, int fanIn, int fanOut) {
        double[] z = CommonRandom.standardNormals(CommonRandom.weights(c.seed(), layer, fanIn, fanOut),
                new double[fanIn * fanOut]);
        double std = c.init().std(fanIn, fanOut);
        for (int i = 0; i < z.length; i++) {
            z[i] *= std;
        }
        return z;
    }

    private static void setWeights(ComputationGraph graph, String layer, TrialConfig c, int fanIn, int fanOut) {
        double[] z = initialValues(c, layer, fanIn, fanOut);
        INDArray param = graph.getParam(layer + "_W");
        if (param.length() != z.length) {
            throw new IllegalStateException("Layer " + layer + " has " + param.length() + " weights, not " + fanIn
                    + " × " + fanOut + ".");
        }
        // Row i of the [fan_in, fan_out] matrix holds input i's weights, whatever the view's order.
        if (DirectBlas.supported(param.dataType()) && param.rank() == 2 && Shape.hasDefaultStridesForShape(param)
                && param.size(0) == fanIn && param.size(1) == fanOut) {
            // Straight into the view's memory, in its order (DL4J's dense weights are column-major), rounded to the
            // network's type as ND4J's cast rounds: three native arrays and two ops fewer per layer.
            double[] m = z;
            if (param.ordering() == 'f') {
                m = new double[z.length];
                for (int i = 0; i < fanIn; i++) {
                    for (int j = 0; j < fanOut; j++) {
                        m[j * fanIn + i] = z[i * fanOut + j];
                    }
                }
            }
            DirectBlas.write(param.dataType(), m, m.length, DirectBlas.address(param));
        } else {
            param.assign(Nd4j.create(z, new long[]{fanIn, fanOut}, 'c').castTo(param.dataType()));
        }
    }

    /**
     * The graph configuration (not initialized): every hidden block is one {@link FusedBlock} layer, named
     * {@link #denseName} so that its weights keep the name {@link Network#weightParam}, followed by the residual add
     * vertex in residual networks; the output layer is {@link SoftmaxOutputLayer}.
     */
    public static ComputationGraphConfiguration configuration(TrialConfig c, int nIn, int nOut) {
        return configuration(c, nIn, nOut, FUSED);
    }

    /**
     * The same network with DL4J's separate layers per block: {@link LinearLayer} → [{@link FusedBatchNorm}] →
     * {@link ProbedActivationLayer}, and DL4J's own softmax output layer: the reference the fused blocks and the
     * fused output layer are tested against.
     */
    public static ComputationGraphConfiguration layeredConfiguration(TrialConfig c, int nIn, int nOut) {
        return configuration(c, nIn, nOut, false);
    }

    static ComputationGraphConfiguration configuration(TrialConfig c, int nIn, int nOut, boolean fused) {
        int w = c.width();
        NeuralNetConfiguration.Builder nb = new NeuralNetConfiguration.Builder()
                .seed(c.rngSeed())
                .dataType(c.dtype() == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT)
                .updater(updater(c))
                .weightInit(weightInit(c.init()))
                .biasInit(0.0);
        GradientNormalization gn = gradientNormalization(c.clip());
        if (gn != GradientNormalization.None) {
            nb = nb.gradientNormalization(gn).gradientNormalizationThreshold(c.clip().threshold());
        }
        ComputationGraphConfiguration.GraphBuilder b = nb
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.feedForward(nIn));
        b.addLayer(PROJECTION, LinearLayer.of(nIn, w, true), INPUT);
        String prev = PROJECTION;
        for (int l = 1; l <= c.depth(); l++) {
            String x;
            if (fused) {
                b.addLayer(denseName(l), FusedBlock.of(w, activation(c.activation()), c.batchnorm()), prev);
                x = denseName(l);
            } else {
                b.addLayer(denseName(l), LinearLayer.of(w, w, !c.batchnorm()), prev);
                x = denseName(l);
                if (c.batchnorm()) {
                    b.addLayer(bnName(l), FusedBatchNorm.of(w), x);
                    x = bnName(l);
                }
                b.addLayer(actName(l), new ProbedActivationLayer(activation(c.activation())), x);
                x = actName(l);
            }
            if (c.residual() == Residual.SCALED) {
                // x + F(x)/√L: each block adds at most a 1/L share of the stream's second moment (see README).
                b.addVertex(scaleName(l), new ScaleVertex(1.0 / Math.sqrt(c.depth())), x);
                x = scaleName(l);
            } else if (c.residual() == Residual.REZERO) {
                b.addLayer(scaleName(l), RezeroLayer.of(w), x);
                x = scaleName(l);
            }
            if (c.residual().hasSkip()) {
                b.addVertex(addName(l), new ProbedAddVertex(), prev, x);
                x = addName(l);
            }
            prev = x;
        }
        // The fused network's output layer is SoftmaxOutputLayer (DL4J's softmax + MCXENT without ND4J ops); the
        // layered reference keeps DL4J's own.
        b.addLayer(OUTPUT, fused ? SoftmaxOutputLayer.of(w, nOut)
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(w).nOut(nOut)
                .activation(new ActivationSoftmax()).build(), prev);
        b.setOutputs(OUTPUT);
        return b.build();
    }

    /**
     * The DL4J function of a grid activation; leaky ReLU has slope 0.01. tanh is {@link ExactTanh}: ND4J's float32
     * tanh flushes small inputs to 0. GELU is DL4J 1.0.0-M2.1's "precise"
     * variant, which is not the exact erf form (and its backward pass is not quite its derivative): the theory
     * module follows what DL4J computes.
     */
    public static IActivation activation(io.gradflow.grid.Activation a) {
        return switch (a) {
            case SIGMOID -> new ActivationSigmoid();
            case TANH -> new ExactTanh();
            case RELU -> new ActivationReLU();
            case LEAKYRELU -> new ActivationLReLU(0.01);
            case ELU -> new ActivationELU(1.0);
            case GELU -> new ActivationGELU(true);
            case IDENTITY -> new ActivationIdentity();
            case SOFTSIGN -> new ActivationSoftSign();
            case SELU -> new ActivationSELU();
        };
    }

    /** DL4J's form of an initialization rule (see {@link InitSpec} for the distributions). */
    public static IWeightInit weightInit(InitSpec init) {
        return switch (init.kind()) {
            case XAVIER, PRETRAINED -> WeightInit.XAVIER.getWeightInitFunction();
            case HE -> WeightInit.RELU.getWeightInitFunction();
            case LECUN -> WeightInit.LECUN_NORMAL.getWeightInitFunction();
            case NORMAL -> new WeightInitDistribution(new NormalDistribution(0.0, init.std()));
        };
    }

    /**
     * DL4J's per-layer form of a clipping rule; {@code None} for no clipping and for the global norm, which DL4J
     * does not have. DL4J applies it in its updater after dividing by the minibatch size, so c is a bound on the
     * gradient of the mean loss.
     */
    public static GradientNormalization gradientNormalization(ClipSpec clip) {
        return switch (clip.kind()) {
            case LAYER_NORM -> GradientNormalization.ClipL2PerLayer;
            case VALUE -> GradientNormalization.ClipElementWiseAbsoluteValue;
            case NONE, NORM -> GradientNormalization.None;
        };
    }

    /** The trial's updater (a fresh one per call: updaters keep no state, their DL4J states do). */
    public static IUpdater updater(TrialConfig c) {
        return switch (c.optimizer()) {
            case SGD -> new Sgd(c.learningRate());
            case MOMENTUM -> new Nesterovs(c.learningRate(), 0.9);
            case ADAM -> new Adam(c.learningRate());
        };
    }
}
