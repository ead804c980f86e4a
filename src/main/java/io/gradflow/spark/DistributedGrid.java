package io.gradflow.spark;

import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.store.Parts;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A large grid as a distributed dataset: its trials are expanded, identified (SHA-256 trial ids) and matched against
 * the journal on the executors, so the driver's work does not grow with the trials. The grid is cut into cost classes
 * ({@link Grid#slices} by the axes the cost model reads, {@link GridEstimate#SHAPE}): every trial of a class has the
 * same estimate, so longest-first order is class by class (longest class first, grid order inside a class) and
 * {@link TaskPlan#planRuns} plans the tasks from one (estimate, count) pair per class. A resumed or extended sweep
 * skips the trials whose ids the committed parts hold by an anti-join that Spark computes; the driver collects only
 * the missing trials' count per class. Tasks then get their trials through a shuffle keyed by task number.
 *
 * <p>The trials, their ids and their rows are those of the driver path ({@link Trials}); only which trials share a
 * task, and in which order trials of equal estimate start, can differ. Used from {@link #CONF} trials on.
 */
final class DistributedGrid {

    /** Spark setting: from how many trials a sweep's grid is expanded on the executors instead of the driver. */
    static final String CONF = "spark.gradflow.grid.distributedFrom";
    /** Below this the driver's walk (about 1 s and 8 MB at 10^5 trials) costs less than the Spark jobs that replace it. */
    static final long DEFAULT_FROM = 100_000;
    /** Most cost classes the driver plans from; a grid with more is walked on the driver. */
    static final int MAX_CLASSES = 10_000;
    /** Trials one generating task expands and hashes. */
    private static final int CHUNK = 20_000;

    private final GridSpec spec;
    /** The cost classes, longest estimate first (ties in grid order). */
    private final List<Grid.Slice> classes;
    private final double[] seconds;
    private final double[] cost;
    private final int size;

    private DistributedGrid(GridSpec spec, List<Grid.Slice> classes) {
        this.spec = spec;
        this.classes = classes;
        this.seconds = classes.stream().mapToDouble(c -> GridEstimate.seconds(c.representative())).toArray();
        this.cost = classes.stream().mapToDouble(c -> c.representative().estimatedCost()).toArray();
        this.size = (int) classes.stream().mapToLong(Grid.Slice::size).sum();
    }

    /** The setting's value: {@link #DEFAULT_FROM} unless set. */
    static long threshold(SparkSession spark) {
        return io.gradflow.store.Settings.count(spark, CONF, DEFAULT_FROM, "trials");
    }

    /** The setting's value parsed; bad input is one line naming the setting and the value. */
    static long threshold(String v) {
        return io.gradflow.store.Settings.count(CONF, v, "trials");
    }

    /**
     * The grid as a distributed dataset when it has at least {@code from} trials, no data-parallel trial (those run
     * on the driver one by one) and at most {@link #MAX_CLASSES} cost classes; empty otherwise.
     */
    static Optional<DistributedGrid> ifLarge(GridSpec spec, long from, boolean mayHaveDataTrials) {
        if (mayHaveDataTrials || Grid.count(spec) < from) {
            return Optional.empty();
        }
        Optional<List<Grid.Slice>> slices = Grid.slices(spec, GridEstimate.SHAPE, MAX_CLASSES);
        if (slices.isEmpty()) {
            return Optional.empty();
        }
        long n = slices.get().stream().mapToLong(Grid.Slice::size).sum();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("grid '" + spec.name() + "' has " + n + " trials; a sweep holds at most "
                    + (Integer.MAX_VALUE - 8));
        }
        List<Grid.Slice> ordered = new ArrayList<>(slices.get());
        // Stable sort: equal estimates keep the grid's order.
        ordered.sort(Comparator.comparingDouble((Grid.Slice c) -> GridEstimate.seconds(c.representative())).reversed());
        return Optional.of(new DistributedGrid(spec, ordered));
    }

    int size() {
        return size;
    }

    /** The number of cost classes. */
    int classes() {
        return classes.size();
    }

    /**
     * The trials still to run, as a persisted distributed dataset of keys (class number in the high 32 bits, the
     * trial's number in its class in the low 32), and their count per class; {@link #close} releases them.
     */
    final class Pending implements AutoCloseable {
        private final JavaRDD<Long> keys;
        private final int[] counts;
        private final Broadcast<GridSpec> grid;
        private final Broadcast<ArrayList<Grid.Slice>> slices;

        private Pending(JavaRDD<Long> keys, int[] counts, Broadcast<GridSpec> grid, Broadcast<ArrayList<Grid.Slice>> slices) {
            this.keys = keys;
            this.counts = counts;
            this.grid = grid;
            this.slices = slices;
        }

        /** How many trials are still to run. */
        int count() {
            return Arrays.stream(counts).sum();
        }

        /** Their summed cost-model estimate (for the progress line's ETA weights). */
        double totalCost() {
            double c = 0;
            for (int i = 0; i < counts.length; i++) {
                c += counts[i] * cost[i];
            }
            return c;
        }

        /**
         * The pending trials as one {@link TrialTask.Batch} per partition, planned by {@link TaskPlan#planRuns}: the
         * trials are numbered in longest-first order by a sort and {@code zipWithIndex} on the executors, and each
         * goes to the task whose range holds its number.
         *
         * @return the batches and their number
         */
        Tuple2<JavaRDD<TrialTask.Batch>, Integer> batches(JavaSparkContext jsc, int slots) {
            List<int[]> plan = TaskPlan.planRuns(seconds, counts, slots);
            int[] starts = plan.stream().mapToInt(t -> t[0]).toArray();
            int tasks = starts.length;
            Broadcast<ArrayList<Grid.Slice>> cls = slices;
            int parts = Math.max(1, Math.min(keys.getNumPartitions(), tasks));
            JavaPairRDD<Integer, Long> byTask = keys.sortBy(k -> k, true, parts).zipWithIndex()
                    .mapToPair(kp -> {
                        int t = Arrays.binarySearch(starts, (int) (long) kp._2());
                        return new Tuple2<>(t >= 0 ? t : -t - 2, kp._1());
                    });
            JavaRDD<TrialTask.Batch> batches = byTask.partitionBy(new ByTask(tasks))
                    .mapPartitionsWithIndex((index, it) -> {
                        List<Long> mine = new ArrayList<>();
                        it.forEachRemaining(kv -> mine.add(kv._2()));
                        mine.sort(null);
                        List<Grid.Slice> sl = cls.value();
                        long[] raw = new long[mine.size()];
                        for (int i = 0; i < raw.length; i++) {
                            long key = mine.get(i);
                            raw[i] = sl.get((int) (key >>> 32)).raw(key & 0xffffffffL);
                        }
                        return List.of(new TrialTask.Batch(index, raw)).iterator();
                    }, true);
            return new Tuple2<>(batches, tasks);
        }

        @Override
        public void close() {
            keys.unpersist(false);
            grid.destroy(false);
            slices.destroy(false);
        }
    }

    /**
     * Expands the grid on the executors and keeps the trials the journal does not hold.
     *
     * @param partsDir the journal's committed parts, or null when there is no journal yet
     */
    Pending pending(SparkSession spark, Path partsDir) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<long[]> chunks = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            for (long k = 0; k < classes.get(c).size(); k += CHUNK) {
                chunks.add(new long[]{c, k, Math.min(classes.get(c).size(), k + CHUNK)});
            }
        }
        // The classes travel once per executor, not in every task's closure (a grid may have thousands).
        Broadcast<ArrayList<Grid.Slice>> cls = jsc.broadcast(new ArrayList<>(classes));
        Broadcast<GridSpec> grid = jsc.broadcast(spec);
        JavaRDD<long[]> work = jsc.parallelize(chunks, Math.max(1, chunks.size()));
        JavaRDD<Long> keys;
        if (partsDir == null) {
            // Nothing is done yet: no id is needed to know what to run.
            keys = work.flatMap(ch -> {
                List<Long> out = new ArrayList<>((int) (ch[2] - ch[1]));
                for (long k = ch[1]; k < ch[2]; k++) {
                    out.add(ch[0] << 32 | k);
                }
                return out.iterator();
            });
        } else {
            JavaPairRDD<Long, Long> byId = work.flatMapToPair(ch -> {
                GridSpec g = grid.value();
                Grid.Slice s = cls.value().get((int) ch[0]);
                List<Tuple2<Long, Long>> out = new ArrayList<>((int) (ch[2] - ch[1]));
                for (long k = ch[1]; k < ch[2]; k++) {
                    out.add(new Tuple2<>(Parts.id(Grid.at(g, s.raw(k)).trialId()), ch[0] << 32 | k));
                }
                return out.iterator();
            });
            JavaPairRDD<Long, Boolean> done = Parts.trialIds(spark, partsDir).javaRDD()
                    .mapToPair(r -> new Tuple2<>(Parts.id(r.getString(0)), Boolean.TRUE));
            keys = byId.subtractByKey(done).values();
        }
        keys = keys.persist(StorageLevel.MEMORY_AND_DISK_SER());
        Map<Integer, Long> perClass = keys.map(k -> (int) (k >>> 32)).countByValue();
        int[] counts = new int[classes.size()];
        perClass.forEach((c, n) -> counts[c] = (int) (long) n);
        return new Pending(keys, counts, grid, cls);
    }

    /** Sends each (task number, key) pair to the partition of its task. */
    private static final class ByTask extends Partitioner {
        private final int n;

        ByTask(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }
    }
}
