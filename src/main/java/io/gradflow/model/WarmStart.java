package io.gradflow.model;

import io.gradflow.grid.TrialConfig;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * Warm starts ({@code init: pretrained(...)}): which gradflow networks can start which trials, and the copy of
 * the weights. A trial takes its hidden blocks from the model (the first {@code depth} of them, so a model may be
 * deeper than the trial), which therefore needs blocks of the trial's width, with batch norm exactly where the
 * trial has it and with rezero's gates α exactly where the trial has them: those decide the parameters. The residual
 * form otherwise may differ (a plain model can start a residual trial): the weights fit, what they compute is the
 * user's experiment. The input projection and the output layer are copied only where their shapes equal the
 * trial's, else they keep their fresh draws: that is transfer to data with another number of features or classes.
 * The updater state is not copied: fine-tuning starts its optimizer afresh, as DL4J's transfer learning does.
 */
public final class WarmStart {

    private WarmStart() {
    }

    /**
     * The hidden blocks of a gradflow network, read from its configuration.
     *
     * @param width     units per block
     * @param depth     number of blocks
     * @param batchnorm whether the blocks normalize their pre-activations
     * @param residual  the skip connection: {@code false}, {@code true}, {@code scaled} or {@code rezero}
     */
    public record Layout(long width, int depth, boolean batchnorm, String residual) {

        /** One line, e.g. "5 blocks of width 64 with batch norm, residual rezero". */
        public String describe() {
            return depth + (depth == 1 ? " block" : " blocks") + " of width " + width
                    + (batchnorm ? " with batch norm" : " without batch norm") + ", residual " + residual;
        }
    }

    /** The layout of {@code g}; refuses a network that gradflow did not build. */
    public static Layout layout(ComputationGraph g) {
        ComputationGraphConfiguration conf = g.getConfiguration();
        Map<String, GraphVertex> v = conf.getVertices();
        if (!v.containsKey(NetworkFactory.PROJECTION) || !v.containsKey(NetworkFactory.OUTPUT)
                || !v.containsKey(NetworkFactory.denseName(1))) {
            throw new IllegalArgumentException("it is not a network gradflow built (no layers named "
                    + NetworkFactory.PROJECTION + ", " + NetworkFactory.denseName(1) + " and " + NetworkFactory.OUTPUT + ")");
        }
        long width = -1;
        boolean bn = false;
        String residual = null;
        int depth = 0;
        for (int l = 1; v.containsKey(NetworkFactory.denseName(l)); l++) {
            if (!(v.get(NetworkFactory.denseName(l)) instanceof LayerVertex lv)
                    || !(lv.getLayerConf().getLayer() instanceof FusedBlock f)) {
                throw new IllegalArgumentException("its block " + l + " is not a gradflow fused block");
            }
            GraphVertex scale = v.get(NetworkFactory.scaleName(l));
            String r = scale instanceof ScaleVertex ? "scaled"
                    : scale instanceof LayerVertex sl && sl.getLayerConf().getLayer() instanceof RezeroLayer ? "rezero"
                    : v.containsKey(NetworkFactory.addName(l)) ? "true" : "false";
            if (l == 1) {
                width = f.getNOut();
                bn = f.isBatchNorm();
                residual = r;
            } else if (f.getNOut() != width || f.isBatchNorm() != bn || !r.equals(residual)) {
                throw new IllegalArgumentException("its blocks differ from one another (block " + l + ")");
            }
            depth = l;
        }
        return new Layout(width, depth, bn, residual);
    }

    /** Why a model of layout {@code source} cannot start trial {@code c}, or null when it can. */
    public static String mismatch(Layout source, TrialConfig c) {
        boolean rezero = c.residual().key().equals("rezero");
        if (source.width() != c.width()) {
            return "its blocks have width " + source.width() + ", the trial's " + c.width();
        }
        if (source.depth() < c.depth()) {
            return "it has " + source.depth() + (source.depth() == 1 ? " block" : " blocks") + ", the trial "
                    + c.depth();
        }
        if (source.batchnorm() != c.batchnorm()) {
            return "its blocks have " + (source.batchnorm() ? "batch norm" : "no batch norm") + ", the trial's "
                    + (c.batchnorm() ? "do" : "do not");
        }
        if (source.residual().equals("rezero") != rezero) {
            return "its blocks " + (rezero ? "have no" : "have") + " rezero gates α, the trial's "
                    + (rezero ? "do" : "do not");
        }
        return null;
    }

    /**
     * Copies {@code source}'s weights into {@code target}, the network {@link NetworkFactory} built for trial
     * {@code c}: every parameter of the trial's hidden blocks (weights, biases, batch norm's γ, β and running
     * statistics, rezero's α), and the projection and output layer where all of a layer's shapes match.
     */
    public static void apply(ComputationGraph target, ComputationGraph source, TrialConfig c) {
        String why = mismatch(layout(source), c);
        if (why != null) {
            throw new IllegalArgumentException("The model cannot start trial " + c.trialId() + ": " + why + ".");
        }
        Map<String, INDArray> from = source.paramTable();
        for (String layer : new String[]{NetworkFactory.PROJECTION, NetworkFactory.OUTPUT}) {
            if (sameShapes(target, from, layer)) {
                copy(target, from, layer);
            }
        }
        for (int l = 1; l <= c.depth(); l++) {
            copy(target, from, NetworkFactory.denseName(l));
            if (c.residual().key().equals("rezero")) {
                copy(target, from, NetworkFactory.scaleName(l));
            }
        }
    }

    private static boolean sameShapes(ComputationGraph target, Map<String, INDArray> from, String layer) {
        for (Map.Entry<String, INDArray> e : target.paramTable().entrySet()) {
            if (e.getKey().startsWith(layer + "_")) {
                INDArray s = from.get(e.getKey());
                if (s == null || !Arrays.equals(s.shape(), e.getValue().shape())) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void copy(ComputationGraph target, Map<String, INDArray> from, String layer) {
        for (Map.Entry<String, INDArray> e : target.paramTable().entrySet()) {
            if (!e.getKey().startsWith(layer + "_")) {
                continue;
            }
            INDArray s = from.get(e.getKey());
            if (s == null || !Arrays.equals(s.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("The model's parameter " + e.getKey() + " is "
                        + (s == null ? "missing" : "of shape " + Arrays.toString(s.shape())) + "; the trial's has shape "
                        + Arrays.toString(e.getValue().shape()) + ".");
            }
            e.getValue().assign(s.castTo(e.getValue().dataType()));
        }
    }

    /**
     * 16 hex digits of SHA-256 over every parameter's name, type, shape and values: equal for equal weights
     * whatever the file's bytes (a zip's timestamps change with every write), so it identifies what a warm start
     * starts from.
     */
    public static String fingerprint(ComputationGraph g) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (Map.Entry<String, INDArray> e : g.paramTable().entrySet()) {
            INDArray p = e.getValue();
            md.update((e.getKey() + ":" + p.dataType() + ":" + Arrays.toString(p.shape()) + ";")
                    .getBytes(StandardCharsets.UTF_8));
            INDArray c = p.dup('c');
            md.update(c.data().asBytes());
            c.close();
        }
        return HexFormat.of().formatHex(md.digest(), 0, 8);
    }
}
