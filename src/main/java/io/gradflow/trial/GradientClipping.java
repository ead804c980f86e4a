package io.gradflow.trial;

import io.gradflow.grid.ClipSpec;
import io.gradflow.model.Arrays2;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient clipping between the statistics and the updater, and the count of steps it changed.
 *
 * <p>DL4J calls {@code onGradientCalculation} of its listeners in order after backpropagation and before the
 * updater, on the network's flattened gradient, of which every layer's gradient is a view. Registered after
 * {@link GradientFlowListener}, this listener therefore sees the same raw gradient the statistics recorded, and
 * whatever it writes into the flattened gradient is what the updater uses.
 *
 * <p>All thresholds are on the gradient of the <em>mean</em> minibatch loss. DL4J's raw gradient is of the summed
 * loss and its updater divides by the minibatch size B before it applies its own gradient normalization, so
 * DL4J's {@code layer_norm(c)} and {@code value(c)} bound the mean-loss gradient; {@code norm(c)} is defined on the
 * same gradient: with g the raw gradient of all trainable parameters together (weights, biases, batch norm's γ and β,
 * rezero's α; not batch norm's running statistics, which DL4J carries in the gradient as updates and does not divide),
 * ‖g/B‖ &gt; c rescales g by c/‖g/B‖ (uniform scaling commutes with the updater's division, so the update is
 * −lr·(g/B)·min(1, c/‖g/B‖) under plain SGD).
 * <ul>
 *   <li>{@code norm(c)}: gradflow's own (DL4J has no global form): the rescaling above, in place.</li>
 *   <li>{@code layer_norm(c)}, {@code value(c)}: DL4J clips (see {@code NetworkFactory}); this listener only tells
 *       whether it will: some layer's ‖g_layer/B‖ &gt; c, or some |g/B| &gt; c, the conditions under which DL4J's
 *       {@code ClipL2PerLayer} and {@code ClipElementWiseAbsoluteValue} change the gradient.</li>
 * </ul>
 * A gradient with a non-finite entry is passed through unchanged and not counted: its norm is undefined, and the
 * step's loss makes the trial DIVERGED anyway.
 */
public final class GradientClipping extends BaseTrainingListener {

    /** A gradient entry's layer (its index in {@link #layerSsq}) and whether the updater divides it by B. */
    private record Param(int layer, boolean divided) {
    }

    private final ClipSpec clip;
    private Map<String, Param> params;
    private double[] layerSsq;
    private double[] buffer;
    private final List<INDArray> trainable = new ArrayList<>();
    private long steps;
    private long clipped;
    long nanos;

    public GradientClipping(ClipSpec clip) {
        this.clip = clip;
    }

    @Override
    public void onGradientCalculation(Model model) {
        steps++;
        if (clip.isNone()) {
            return;
        }
        long t0 = System.nanoTime();
        ComputationGraph g = (ComputationGraph) model;
        double batch = Math.max(1, g.batchSize());
        double c = clip.threshold();
        // What DL4J's updater will see, parameter by parameter: the raw gradient over B where it divides by the
        // minibatch size, as it is where it does not (batch norm's running mean and variance, which ride in the
        // gradient as the updates to subtract: they are not gradients and norm(c) leaves them out). The per-
        // parameter facts are looked up once; the values go through one reused buffer.
        Map<String, INDArray> grads = g.gradient().gradientForVariable();
        if (params == null) {
            params = new LinkedHashMap<>();
            Map<String, Integer> layers = new HashMap<>();
            for (String key : grads.keySet()) {
                int cut = key.lastIndexOf('_');
                Layer layer = g.getLayer(key.substring(0, cut));
                int index = layers.computeIfAbsent(layer.getConfig().getLayerName(), k -> layers.size());
                params.put(key, new Param(index, layer.updaterDivideByMinibatch(key.substring(cut + 1))));
            }
            layerSsq = new double[layers.size()];
        }
        java.util.Arrays.fill(layerSsq, 0);
        trainable.clear();
        double trainableSsq = 0;
        double maxAbs = 0;
        boolean finite = true;
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            Param p = params.get(e.getKey());
            INDArray a = e.getValue();
            int n = (int) a.length();
            buffer = Arrays2.valuesInto(a, buffer);
            double scale = p.divided() ? batch : 1;
            double norm = Stats.l2(buffer, n) / scale;
            finite &= Double.isFinite(norm);
            maxAbs = Math.max(maxAbs, Stats.maxAbs(buffer, n) / scale);
            layerSsq[p.layer()] += norm * norm;
            if (p.divided()) {
                trainable.add(a);
                trainableSsq += norm * norm;
            }
        }
        boolean changed = false;
        if (finite) {
            switch (clip.kind()) {
                case NORM -> {
                    // the global norm over the trainable gradients, from the per-parameter norms taken above
                    double norm = Math.sqrt(trainableSsq);
                    if (norm > c) {
                        // In place on the views of the flattened gradient the updater reads next.
                        for (INDArray a : trainable) {
                            a.muli(c / norm);
                        }
                        changed = true;
                    }
                }
                case LAYER_NORM -> {
                    for (double ssq : layerSsq) {
                        changed |= Math.sqrt(ssq) > c;
                    }
                }
                case VALUE -> changed = maxAbs > c;
                case NONE -> changed = false;
            }
        }
        if (changed) {
            clipped++;
        }
        nanos += System.nanoTime() - t0;
    }

    /** Steps whose gradient the rule changed, over steps run (0 for {@code none}); NaN before any step. */
    public double clippedShare() {
        return steps == 0 ? Double.NaN : (double) clipped / steps;
    }

    public long steps() {
        return steps;
    }

    public long clippedSteps() {
        return clipped;
    }
}
