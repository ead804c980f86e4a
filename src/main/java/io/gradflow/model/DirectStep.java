package io.gradflow.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One training step's forward pass, loss and backward pass through a gradflow network (input projection →
 * {@link FusedBlock}s, with {@link ProbedAddVertex} skips in residual networks → {@link SoftmaxOutputLayer}) without
 * DL4J's graph traversal: each layer's own code runs on arrays this class allocates once per minibatch size, and
 * writes its parameter gradients into DL4J's gradient views as on DL4J's path.
 *
 * <p>Why: with the blocks, the projection and the output layer issuing no ND4J op, what was left of a 64-wide step
 * besides the GEMMs and the blocks' loops was DL4J's graph machinery: the workspaces opened, validated and closed per
 * vertex, two workspace arrays per block, the activation and epsilon maps, the {@code Gradient} maps rebuilt with
 * string keys every step, and the epsilons summed by ND4J ops where the residual stream forks (about a quarter of
 * the step, BENCHMARKS.md). The arithmetic is the layers' own, called in DL4J's order on the same values, so a step
 * gives the same bits as DL4J's path ({@code DirectStepTest} compares parameters, scores, updater state and probes
 * bit for bit over several steps for every block kind, type and optimizer).
 *
 * <p>Where the residual stream forks, DL4J sums the two epsilons arriving at it, each rounded once; here the skip's
 * ε and the block's input gradient are summed the same way ({@code cblas_?axpy} with α = 1, exact products, so the
 * correctly rounded sum, which does not depend on the order of the two operands). The projection's input gradient,
 * which DL4J computes and drops, is not computed.
 */
final class DirectStep {

    private final DataType type;
    private final String inputName;
    private final LinearLayer.Impl proj;
    private final FusedBlock.Impl[] blocks;
    private final ProbedAddVertex.Impl[] adds; // null in plain networks
    private final SoftmaxOutputLayer.Impl output;
    private final int nIn;
    private final int width;
    private final int classes;

    private int rows = -1;
    private INDArray[] stream;   // stream[0]: the projection's output; stream[l]: the input of block l + 1
    private INDArray[] branch;   // residual: block l's output before the add (branch[l]); plain: stream[l] itself
    private INDArray eps;        // ε at the current point of the backward pass
    private INDArray spare;      // the block's input gradient, then swapped with eps in plain networks
    private final Map<String, INDArray> activations = new LinkedHashMap<>();

    private DirectStep(DataType type, String inputName, LinearLayer.Impl proj, FusedBlock.Impl[] blocks,
                       ProbedAddVertex.Impl[] adds, SoftmaxOutputLayer.Impl output, int nIn, int width, int classes) {
        this.type = type;
        this.inputName = inputName;
        this.proj = proj;
        this.blocks = blocks;
        this.adds = adds;
        this.output = output;
        this.nIn = nIn;
        this.width = width;
        this.classes = classes;
    }

    /**
     * The direct step for {@code g}, or null when {@code g} is not exactly a network {@link NetworkFactory} builds
     * with fused blocks and no branch scale: one input, a plain {@link LinearLayer} projection, {@code depth} fused
     * blocks in a chain, each followed by a {@link ProbedAddVertex} of the stream and the block (residual) or not
     * (plain), and a {@link SoftmaxOutputLayer} with an unweighted cross-entropy. Anything else (the layered
     * reference, scaled or rezero residual blocks, DL4J's own output layer) trains on DL4J's path.
     */
    static DirectStep of(ComputationGraph g) {
        ComputationGraphConfiguration conf = g.getConfiguration();
        DataType t = g.params() == null ? null : g.params().dataType();
        if (t == null || !DirectBlas.supported(t) || conf.getNetworkInputs().size() != 1
                || conf.getNetworkOutputs().size() != 1) {
            return null;
        }
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputsOf = conf.getVertexInputs();
        String input = conf.getNetworkInputs().get(0);
        if (!(g.getLayer(NetworkFactory.PROJECTION) instanceof LinearLayer.Impl p) || !p.plain()
                || !List.of(input).equals(inputsOf.get(NetworkFactory.PROJECTION))) {
            return null;
        }
        boolean residual = g.getVertex(NetworkFactory.addName(1)) != null;
        int depth = 0;
        while (vertices.containsKey(NetworkFactory.denseName(depth + 1))) {
            depth++;
        }
        int expected = 2 + depth * (residual ? 2 : 1); // projection, output, blocks (and adds)
        if (depth == 0 || vertices.size() != expected
                || !(g.getLayer(NetworkFactory.OUTPUT) instanceof SoftmaxOutputLayer.Impl out)
                || out.configuredLoss() == null
                || !List.of(NetworkFactory.OUTPUT).equals(conf.getNetworkOutputs())) {
            return null;
        }
        FusedBlock.Impl[] blocks = new FusedBlock.Impl[depth + 1];
        ProbedAddVertex.Impl[] adds = residual ? new ProbedAddVertex.Impl[depth + 1] : null;
        String prev = NetworkFactory.PROJECTION;
        for (int l = 1; l <= depth; l++) {
            String dense = NetworkFactory.denseName(l);
            if (!(g.getLayer(dense) instanceof FusedBlock.Impl b) || !(vertices.get(dense) instanceof LayerVertex)
                    || !List.of(prev).equals(inputsOf.get(dense))) {
                return null;
            }
            blocks[l] = b;
            String next = dense;
            if (residual) {
                String add = NetworkFactory.addName(l);
                if (!(g.getVertex(add) instanceof ProbedAddVertex.Impl a)
                        || !List.of(prev, dense).equals(inputsOf.get(add))) {
                    return null;
                }
                adds[l] = a;
                next = add;
            }
            prev = next;
        }
        if (!List.of(prev).equals(inputsOf.get(NetworkFactory.OUTPUT))) {
            return null;
        }
        INDArray w = g.getParam(NetworkFactory.PROJECTION + "_W");
        INDArray wOut = g.getParam(NetworkFactory.OUTPUT + "_W");
        return new DirectStep(t, input, p, blocks, adds, out,
                (int) w.size(0), (int) w.size(1), (int) wOut.size(1));
    }

    /** The network's input width. */
    int inputs() {
        return nIn;
    }

    /** Whether this step takes features {@code x} and labels {@code y}: matrices of the network's widths. */
    boolean accepts(INDArray x, INDArray y) {
        return x != null && y != null && x.rank() == 2 && y.rank() == 2 && x.size(1) == nIn && y.size(1) == classes
                && x.size(0) == y.size(0) && x.size(0) > 0 && x.size(0) * Math.max(width, nIn) <= Integer.MAX_VALUE;
    }

    /**
     * Runs the forward pass, the loss and the backward pass on features {@code x} and labels {@code y} (checked by
     * {@link #accepts}), leaving every parameter gradient in DL4J's gradient views; returns the output layer's
     * score with {@code regularization} added, as DL4J's output layer computes it.
     */
    double run(INDArray features, INDArray labels, double regularization) {
        INDArray x = DenseGemm.rowMajor(features.castTo(type));
        int r = (int) x.size(0);
        buffers(r);
        int depth = blocks.length - 1;
        proj.forward(x, stream[0], r, nIn, width);
        for (int l = 1; l <= depth; l++) {
            blocks[l].trainingForward(stream[l - 1], branch[l], r);
            if (adds != null) {
                adds[l].add(stream[l - 1], branch[l], stream[l]);
            }
        }
        double score = output.trainingStep(stream[depth], labels, eps, regularization);
        for (int l = depth; l >= 1; l--) {
            if (adds != null) {
                // ε at the stream goes both ways: into the block as its output's ε, and past it unchanged
                adds[l].record(eps);
                blocks[l].trainingBackward(stream[l - 1], eps, spare, null);
                DirectBlas.addTo(type, r * width, DirectBlas.address(spare), DirectBlas.address(eps));
            } else {
                blocks[l].trainingBackward(stream[l - 1], eps, spare, null);
                INDArray s = eps;
                eps = spare;
                spare = s;
            }
        }
        proj.parameterGradients(x, DirectBlas.address(eps), r, nIn, width, null);
        activations.put(inputName, features);
        return score;
    }

    /**
     * The network's inference-mode output (the class probabilities) for {@code features}, through the layers' own
     * inference code on working arrays of this call, and the output layer's softmax as DL4J applies it: the bits of
     * {@code ComputationGraph.outputSingle(false, features)} without DL4J's traversal and workspaces.
     */
    INDArray infer(INDArray features) {
        INDArray x = DenseGemm.rowMajor(features.castTo(type));
        int r = (int) x.size(0);
        INDArray prev = matrix(r, width);
        INDArray cur = matrix(r, width);
        INDArray sum = adds != null ? matrix(r, width) : null;
        try {
            proj.forward(x, prev, r, nIn, width);
            for (int l = 1; l < blocks.length; l++) {
                blocks[l].inferenceForward(prev, cur, r);
                INDArray next = cur;
                if (adds != null) {
                    adds[l].add(prev, cur, sum);
                    next = sum;
                    sum = prev;
                } else {
                    cur = prev;
                }
                prev = next;
            }
            return output.inferenceOutput(prev);
        } finally {
            prev.close();
            cur.close();
            if (sum != null) {
                sum.close();
            }
        }
    }

    /**
     * What DL4J hands {@code TrainingListener.onForwardPass}: the input and every hidden vertex's training-mode
     * output, by name (DL4J's map leaves the output layer out).
     */
    Map<String, INDArray> activations() {
        return activations;
    }

    /** Frees the working arrays now (they are rebuilt if the step runs again). */
    void release() {
        if (stream != null) {
            for (INDArray a : stream) {
                a.close();
            }
            if (adds != null) {
                for (int l = 1; l < branch.length; l++) {
                    branch[l].close();
                }
            }
            eps.close();
            spare.close();
        }
        stream = null;
        branch = null;
        eps = null;
        spare = null;
        activations.clear();
        rows = -1;
    }

    private void buffers(int r) {
        if (r == rows) {
            return;
        }
        release();
        int depth = blocks.length - 1;
        stream = new INDArray[depth + 1];
        branch = new INDArray[depth + 1];
        for (int l = 0; l <= depth; l++) {
            stream[l] = matrix(r, width);
            if (l > 0) {
                branch[l] = adds != null ? matrix(r, width) : stream[l];
            }
        }
        eps = matrix(r, width);
        spare = matrix(r, width);
        // The names NetworkFactory gives the vertices (checked by of): a plain block's output is the stream itself.
        activations.put(inputName, null);
        activations.put(NetworkFactory.PROJECTION, stream[0]);
        for (int l = 1; l <= depth; l++) {
            activations.put(NetworkFactory.denseName(l), branch[l]);
            if (adds != null) {
                activations.put(NetworkFactory.addName(l), stream[l]);
            }
        }
        rows = r;
    }

    private INDArray matrix(int r, int c) {
        // Detached: the arrays outlive every workspace scope of the step; row-major, as the layers' GEMMs expect.
        return Nd4j.createUninitializedDetached(type, 'c', r, c);
    }
}
