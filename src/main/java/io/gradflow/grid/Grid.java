package io.gradflow.grid;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

/** Pure expansion of a grid into trials: the cross product of the axes, times the seeds, minus exclusions. */
public final class Grid {

    private Grid() {
    }

    /**
     * Expands a grid. The order is the file order of axes and values with the seed varying fastest; nothing
     * downstream depends on it (trial ids are hashes of the configuration).
     */
    public static List<TrialConfig> expand(GridSpec spec) {
        List<TrialConfig> out = new ArrayList<>();
        iterate(spec).forEachRemaining(out::add);
        return out;
    }

    /**
     * The trials of {@link #expand} one at a time, in the same order, without holding them: listing the first
     * trials of a grid of millions must not build all of them.
     */
    public static Iterator<TrialConfig> iterate(GridSpec spec) {
        List<Axis> axes = new ArrayList<>(spec.axes().keySet());
        return new Iterator<>() {
            private final int[] index = new int[axes.size()];
            private boolean exhausted;
            private Map<Axis, Object> point;
            private int seed = spec.seeds().size();

            @Override
            public boolean hasNext() {
                while (seed == spec.seeds().size()) {
                    if (exhausted) {
                        return false;
                    }
                    point = new LinkedHashMap<>();
                    for (int i = 0; i < axes.size(); i++) {
                        point.put(axes.get(i), spec.axes().get(axes.get(i)).get(index[i]));
                    }
                    seed = excluded(spec, point) ? spec.seeds().size() : 0;
                    exhausted = !advance(index, axes, spec);
                }
                return true;
            }

            @Override
            public TrialConfig next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return build(spec, point, spec.seeds().get(seed++));
            }
        };
    }

    /** Receives one trial of {@link #forEachIndexed} with its position in the full cross product. */
    @FunctionalInterface
    public interface IndexedVisitor {
        void accept(long rawIndex, TrialConfig trial);
    }

    /**
     * Visits the trials of {@link #iterate} in the same order, each with its raw index: its position in the full
     * cross product of the axes times the seeds (the last axis varying fastest among the axes, the seed fastest of
     * all), counting excluded points too. {@link #at} rebuilds a trial from that number alone, so a sweep can
     * keep eight bytes per trial on the driver and let each task rebuild its own trials.
     */
    public static void forEachIndexed(GridSpec spec, IndexedVisitor visitor) {
        List<Axis> axes = new ArrayList<>(spec.axes().keySet());
        int seeds = spec.seeds().size();
        int[] index = new int[axes.size()];
        long point = 0;
        do {
            Map<Axis, Object> values = new LinkedHashMap<>();
            for (int i = 0; i < axes.size(); i++) {
                values.put(axes.get(i), spec.axes().get(axes.get(i)).get(index[i]));
            }
            if (!excluded(spec, values)) {
                for (int s = 0; s < seeds; s++) {
                    visitor.accept(point * seeds + s, build(spec, values, spec.seeds().get(s)));
                }
            }
            point++;
        } while (advance(index, axes, spec));
    }

    /** The trial at a raw index of {@link #forEachIndexed}; it must be one that method visited (not excluded). */
    public static TrialConfig at(GridSpec spec, long rawIndex) {
        List<Axis> axes = new ArrayList<>(spec.axes().keySet());
        int seeds = spec.seeds().size();
        long point = rawIndex / seeds;
        Map<Axis, Object> values = new LinkedHashMap<>();
        Object[] picked = new Object[axes.size()];
        for (int i = axes.size() - 1; i >= 0; i--) {
            List<Object> levels = spec.axes().get(axes.get(i));
            picked[i] = levels.get((int) (point % levels.size()));
            point /= levels.size();
        }
        if (point != 0 || rawIndex < 0) {
            throw new IllegalArgumentException("raw index " + rawIndex + " is outside grid '" + spec.name() + "'");
        }
        for (int i = 0; i < axes.size(); i++) {
            values.put(axes.get(i), picked[i]);
        }
        return build(spec, values, spec.seeds().get((int) (rawIndex % seeds)));
    }

    /** Steps an odometer over the axes' value indices; false once every point has been visited. */
    private static boolean advance(int[] index, List<Axis> axes, GridSpec spec) {
        int k = axes.size() - 1;
        while (k >= 0 && ++index[k] == spec.axes().get(axes.get(k)).size()) {
            index[k] = 0;
            k--;
        }
        return k >= 0;
    }

    /** The largest sub-grid {@link #forEachShape} walks: beyond it a grid is counted as its full cross product. */
    public static final long MAX_SHAPES = 2_000_000;

    /**
     * Visits the grid by the values of a few axes instead of trial by trial: {@code visitor} is called once per
     * combination of the given axes' values (together with every axis an exclusion names) that no exclusion
     * removes, with a representative trial carrying those values and the number of trials of the grid that share
     * them. The sum of those numbers is the exact trial count, found in time proportional to the sub-grid, not to
     * the grid, so an 18-million-trial grid is counted without being built.
     *
     * @return false, visiting nothing, when the sub-grid has more than {@link #MAX_SHAPES} points
     */
    public static boolean forEachShape(GridSpec spec, Set<Axis> varied, BiConsumer<TrialConfig, Long> visitor) {
        Set<Axis> sub = new LinkedHashSet<>();
        for (Axis a : spec.axes().keySet()) {
            if (varied.contains(a) || spec.exclude().stream().anyMatch(ex -> ex.containsKey(a))) {
                sub.add(a);
            }
        }
        long shapes = 1;
        long weight = spec.seeds().size();
        for (Map.Entry<Axis, List<Object>> e : spec.axes().entrySet()) {
            if (sub.contains(e.getKey())) {
                shapes = saturatedProduct(shapes, e.getValue().size());
            } else {
                weight = saturatedProduct(weight, e.getValue().size());
            }
        }
        if (shapes > MAX_SHAPES) {
            return false;
        }
        List<Axis> axes = new ArrayList<>(sub);
        int[] index = new int[axes.size()];
        do {
            Map<Axis, Object> point = new LinkedHashMap<>();
            for (Axis a : spec.axes().keySet()) {
                // axes outside the sub-grid take their first value: they do not change what the visitor reads
                point.put(a, spec.axes().get(a).get(0));
            }
            for (int i = 0; i < axes.size(); i++) {
                point.put(axes.get(i), spec.axes().get(axes.get(i)).get(index[i]));
            }
            if (!excluded(spec, point)) {
                visitor.accept(build(spec, point, spec.seeds().get(0)), weight);
            }
        } while (advance(index, axes, spec));
        return true;
    }

    /**
     * The trials of a grid that share the values of some axes: a rectangular block of the cross product (every
     * combination of the other axes' values, times the seeds), numbered 0 to {@code size - 1} in grid order. A task
     * can rebuild its trials from a slice and a range of those numbers, so a large grid is expanded where its trials
     * run, never trial by trial on the driver.
     *
     * @param representative the slice's trial number 0 (the other axes at their first values, the first seed): it
     *                       carries the slice's values of the fixed axes
     * @param size           trials in the slice
     * @param basePoint      the point index ({@link #forEachIndexed}'s raw index divided by the seed count) that the
     *                       fixed axes' values contribute
     * @param strides        for each free axis, in the grid's axis order, how far one step of its value moves the
     *                       point index
     * @param radices        for each free axis, its number of values
     * @param seeds          the grid's number of seeds
     */
    public record Slice(TrialConfig representative, long size, long basePoint, long[] strides, int[] radices, int seeds)
            implements java.io.Serializable {

        /**
         * The raw index ({@link #forEachIndexed}) of the slice's trial number {@code k}: the seed varies fastest,
         * then the free axes, the last fastest, so raw indices grow with {@code k}.
         */
        public long raw(long k) {
            if (k < 0 || k >= size) {
                throw new IllegalArgumentException("trial number " + k + " is outside a slice of " + size + " trials");
            }
            long q = k / seeds;
            long point = basePoint;
            for (int i = radices.length - 1; i >= 0; i--) {
                point += (q % radices[i]) * strides[i];
                q /= radices[i];
            }
            return point * seeds + k % seeds;
        }
    }

    /**
     * The grid cut into {@link Slice}s by the values of {@code fixed} (together with every axis an exclusion names,
     * so that an exclusion removes a slice whole or not at all), in the grid's order: together they hold each trial
     * of {@link #forEachIndexed} once. Time and memory are proportional to the slices, not to the trials.
     *
     * @return the slices, or empty when there would be more than {@code maxSlices}
     */
    public static java.util.Optional<List<Slice>> slices(GridSpec spec, Set<Axis> fixed, int maxSlices) {
        List<Axis> all = new ArrayList<>(spec.axes().keySet());
        Set<Axis> sub = new LinkedHashSet<>();
        for (Axis a : all) {
            if (fixed.contains(a) || spec.exclude().stream().anyMatch(ex -> ex.containsKey(a))) {
                sub.add(a);
            }
        }
        long[] stride = new long[all.size()];
        long st = 1;
        long shapes = 1;
        for (int i = all.size() - 1; i >= 0; i--) {
            stride[i] = st;
            st = saturatedProduct(st, spec.axes().get(all.get(i)).size());
            if (sub.contains(all.get(i))) {
                shapes = saturatedProduct(shapes, spec.axes().get(all.get(i)).size());
            }
        }
        if (shapes > maxSlices) {
            return java.util.Optional.empty();
        }
        List<Integer> free = new ArrayList<>();
        long weight = spec.seeds().size();
        for (int i = 0; i < all.size(); i++) {
            if (!sub.contains(all.get(i))) {
                free.add(i);
                weight = saturatedProduct(weight, spec.axes().get(all.get(i)).size());
            }
        }
        long[] strides = new long[free.size()];
        int[] radices = new int[free.size()];
        for (int j = 0; j < free.size(); j++) {
            strides[j] = stride[free.get(j)];
            radices[j] = spec.axes().get(all.get(free.get(j))).size();
        }
        List<Axis> axes = new ArrayList<>(sub);
        List<Slice> out = new ArrayList<>();
        int[] index = new int[axes.size()];
        do {
            Map<Axis, Object> point = new LinkedHashMap<>();
            for (Axis a : all) {
                point.put(a, spec.axes().get(a).get(0));
            }
            long base = 0;
            for (int i = 0; i < axes.size(); i++) {
                point.put(axes.get(i), spec.axes().get(axes.get(i)).get(index[i]));
                base += index[i] * stride[all.indexOf(axes.get(i))];
            }
            if (!excluded(spec, point)) {
                out.add(new Slice(build(spec, point, spec.seeds().get(0)), weight, base, strides, radices,
                        spec.seeds().size()));
            }
        } while (advance(index, axes, spec));
        return java.util.Optional.of(out);
    }

    /**
     * The number of trials {@link #expand} would return, counted from the axis sizes without expanding; the full
     * cross product ({@link GridSpec#fullSize()}) when exclusions name so many axes that they cannot be walked.
     */
    public static long count(GridSpec spec) {
        long[] n = {0};
        boolean exact = forEachShape(spec, Set.of(), (t, w) -> n[0] = saturatedSum(n[0], w));
        return exact ? n[0] : spec.fullSize();
    }

    static long saturatedProduct(long a, long b) {
        long r = a * b;
        return a != 0 && (r / a != b || r < 0) ? Long.MAX_VALUE : r;
    }

    static long saturatedSum(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
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
                (ClipSpec) v.apply(Axis.CLIP),
                parallelism(v),
                (PretrainSpec) v.apply(Axis.PRETRAIN));
    }

    /** Task trials ignore the data-parallel settings, so that their ids stay those of a grid without them. */
    private static Parallelism parallelism(java.util.function.Function<Axis, Object> v) {
        Parallelism.Mode mode = (Parallelism.Mode) v.apply(Axis.PARALLELISM);
        if (mode == Parallelism.Mode.TASK) {
            return Parallelism.task();
        }
        return new Parallelism(mode, (Integer) v.apply(Axis.WORKERS), (Integer) v.apply(Axis.BATCH_SIZE_PER_WORKER),
                (Integer) v.apply(Axis.AVERAGING_FREQUENCY));
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
            case PARALLELISM -> t.parallelism().mode();
            case WORKERS -> t.parallelism().workers();
            case BATCH_SIZE_PER_WORKER -> t.parallelism().batchSizePerWorker();
            case AVERAGING_FREQUENCY -> t.parallelism().averagingFrequency();
            case PRETRAIN -> t.pretrain();
        };
    }
}
