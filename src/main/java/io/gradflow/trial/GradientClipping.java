package io.gradflow.trial;

import io.gradflow.grid.ClipSpec;
import io.gradflow.model.Arrays2;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

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
 * same gradient: with g the raw flattened gradient of all parameters, ‖g/B‖ &gt; c rescales g by c/‖g/B‖ (uniform
 * scaling commutes with the updater's division, so the update is −lr·(g/B)·min(1, c/‖g/B‖) under plain SGD).
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

    private final ClipSpec clip;
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
        boolean changed = switch (clip.kind()) {
            case NORM -> {
                INDArray flat = g.getGradientsViewArray();
                double norm = Stats.l2(Arrays2.values(flat)) / batch;
                if (Double.isFinite(norm) && norm > c) {
                    flat.muli(c / norm);
                    yield true;
                }
                yield false;
            }
            case LAYER_NORM -> {
                boolean any = false;
                for (Layer l : g.getLayers()) {
                    INDArray view = l.numParams() > 0 ? l.getGradientsViewArray() : null;
                    if (view != null) {
                        double norm = Stats.l2(Arrays2.values(view)) / batch;
                        any |= Double.isFinite(norm) && norm > c;
                    }
                }
                yield any;
            }
            case VALUE -> {
                double[] v = Arrays2.values(g.getGradientsViewArray());
                yield Stats.allFinite(v) && Stats.maxAbs(v) / batch > c;
            }
            case NONE -> false;
        };
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
