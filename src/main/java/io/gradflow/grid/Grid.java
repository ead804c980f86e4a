package io.gradflow.grid;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pure expansion of a grid into trials: the cross product of the axes, times the seeds, minus exclusions. */
public final class Grid {

    private Grid() {
    }

    /**
     * Expands a grid. The order is the file order of axes and values with the seed varying fastest; nothing
     * downstream depends on it (trial ids are hashes of the configuration).
     */
    public static List<TrialConfig> expand(GridSpec spec) {
        List<Axis> axes = new ArrayList<>(spec.axes().keySet());
        List<TrialConfig> out = new ArrayList<>();
        int[] index = new int[axes.size()];
        while (true) {
            Map<Axis, Object> point = new LinkedHashMap<>();
            for (int i = 0; i < axes.size(); i++) {
                point.put(axes.get(i), spec.axes().get(axes.get(i)).get(index[i]));
            }
            if (!excluded(spec, point)) {
                for (long seed : spec.seeds()) {
                    out.add(build(spec, point, seed));
                }
            }
            int k = axes.size() - 1;
            while (k >= 0 && ++index[k] == spec.axes().get(axes.get(k)).size()) {
                index[k] = 0;
                k--;
            }
            if (k < 0) {
                break;
            }
        }
        return out;
    }

    private static boolean excluded(GridSpec spec, Map<Axis, Object> point) {
        for (Map<Axis, Object> ex : spec.exclude()) {
            boolean all = true;
            for (Map.Entry<Axis, Object> e : ex.entrySet()) {
                if (!e.getValue().equals(point.get(e.getKey()))) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static TrialConfig build(GridSpec spec, Map<Axis, Object> point, long seed) {
        java.util.function.Function<Axis, Object> v = a -> point.containsKey(a) ? point.get(a) : spec.fixedOrDefault(a);
        return new TrialConfig(
                (Activation) v.apply(Axis.ACTIVATION),
                (InitSpec) v.apply(Axis.INIT),
                (Boolean) v.apply(Axis.BATCHNORM),
                (Residual) v.apply(Axis.RESIDUAL),
                (Integer) v.apply(Axis.DEPTH),
                (Integer) v.apply(Axis.WIDTH),
                (Integer) v.apply(Axis.STEPS),
                (Integer) v.apply(Axis.BATCH_SIZE),
                (Optimizer) v.apply(Axis.OPTIMIZER),
                (Double) v.apply(Axis.LEARNING_RATE),
                (Precision) v.apply(Axis.DTYPE),
                seed,
                spec.dataset(),
                spec.schedule(),
                spec.targetLoss(),
                spec.health(),
                (ClipSpec) v.apply(Axis.CLIP));
    }

    /** The value of an axis in a trial, in its typed form (for tables and result rows). */
    public static Object valueOf(TrialConfig t, Axis axis) {
        return switch (axis) {
            case ACTIVATION -> t.activation();
            case INIT -> t.init();
            case BATCHNORM -> t.batchnorm();
            case RESIDUAL -> t.residual();
            case DEPTH -> t.depth();
            case WIDTH -> t.width();
            case STEPS -> t.steps();
            case BATCH_SIZE -> t.batchSize();
            case OPTIMIZER -> t.optimizer();
            case LEARNING_RATE -> t.learningRate();
            case DTYPE -> t.dtype();
            case CLIP -> t.clip();
        };
    }
}
