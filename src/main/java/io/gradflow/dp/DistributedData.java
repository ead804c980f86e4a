package io.gradflow.dp;

import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetLoader;
import io.gradflow.data.DatasetSpec;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import scala.Tuple2;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.function.ToIntFunction;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

/**
 * A user's CSV or Parquet table for data-parallel trials, read by Spark and kept in the executors: the training
 * rows are never collected to the driver. Spark computes the checks (numeric, finite features; labels present),
 * the classes (distinct labels, numbered as {@link DatasetLoader.Classes} numbers them), the split and the
 * training split's means and population standard deviations, in one pass each; the standardized rows stay
 * persisted in the executors for every data trial of the sweep.
 *
 * <p>Because the row count is not known up front, the split is by row content, not by the task trials' seeded
 * permutation: a row is held out when {@code xxhash64(its values, seed) mod 10⁶ < test_fraction × 10⁶}, so the test
 * share is test_fraction up to sampling noise and equal rows go to the same side. Each trial orders the training
 * rows by a hash of their content and its seed (a shuffle Spark sorts once per trial), cuts that order into
 * minibatches of {@code batch_size_per_worker} rows (the last partial one is dropped), and takes them round by
 * round, worker w of round r getting minibatches {@code (r·F + s)·W + w} for s = 0..F−1 (cyclically: an epoch
 * repeats the same order). Test and training losses and accuracy are computed on the executors with the task
 * trials' evaluation code ({@link #evaluate}). Probe minibatch: the first global one (minibatches 0..W−1), the only training rows the driver
 * sees.
 */
public final class DistributedData implements AutoCloseable {

    /** More distinct labels than this is refused: a label column of ids or a regression target. */
    public static final int MAX_CLASSES = 10_000;
    /** Test rows per evaluation chunk. */
    static final int TEST_CHUNK = 1024;
    private static final int SPLIT_MODULUS = 1_000_000;

    /** A standardized training row and the content hash its trials' orders derive from. */
    record Example(long key, float[] x, int y) implements Serializable {
    }

    private final String name;
    private final int features;
    private final int classes;
    private final long trainRows;
    private final long testRows;
    private final String fingerprint;
    private final JavaRDD<Example> train;
    private final JavaRDD<Minibatch> test;

    private DistributedData(String name, int features, int classes, long trainRows, long testRows, String fingerprint,
                            JavaRDD<Example> train, JavaRDD<Minibatch> test) {
        this.name = name;
        this.features = features;
        this.classes = classes;
        this.trainRows = trainRows;
        this.testRows = testRows;
        this.fingerprint = fingerprint;
        this.train = train;
        this.test = test;
    }

    /**
     * Reads, checks, splits and standardizes the table of a CSV or Parquet spec with Spark.
     *
     * @throws IllegalArgumentException with one line naming the field and the value, for the problems
     *                                  {@link DatasetLoader#load} reports (without row numbers, which a distributed
     *                                  read does not have)
     */
    public static DistributedData read(SparkSession spark, DatasetSpec spec) {
        if (!spec.kind().isFile()) {
            throw new IllegalArgumentException("dataset kind '" + spec.kind().key() + "' is generated, not read from a file.");
        }
        String path = spec.path();
        DatasetLoader.check(spec, spark.sparkContext().hadoopConfiguration());
        Dataset<Row> frame = spec.kind() == DatasetKind.CSV
                ? spark.read().option("header", "true").option("inferSchema", "false").csv(path)
                : spark.read().parquet(path);
        String[] columns = frame.columns();
        int labelIndex = Arrays.asList(columns).indexOf(spec.label());
        if (columns.length < 2) {
            throw new IllegalArgumentException("dataset '" + path + "' has no feature columns; its only column is the label '"
                    + spec.label() + "'.");
        }
        List<String> featureNames = new ArrayList<>();
        for (int j = 0; j < columns.length; j++) {
            var type = frame.schema().fields()[j].dataType();
            if (j != labelIndex && !(type instanceof NumericType) && !(type instanceof StringType)) {
                throw new IllegalArgumentException("dataset column '" + columns[j] + "' of '" + path
                        + "' is not numeric (its type is " + type.simpleString() + ").");
            }
            if (j != labelIndex) {
                featureNames.add(columns[j]);
            }
        }
        int d = featureNames.size();
        Column[] all = Arrays.stream(columns).map(DistributedData::quoted).toArray(Column[]::new);
        List<Column> sel = new ArrayList<>();
        sel.add(xxhash64(with(all, lit(spec.seed()))).as("_split"));
        sel.add(xxhash64(with(all, lit(spec.seed() ^ 0x5DEECE66DL))).as("_key"));
        sel.add(xxhash64(with(all, lit(0L))).as("_content"));
        sel.add(trim(quoted(spec.label()).cast("string")).as("_y"));
        for (int j = 0; j < d; j++) {
            // Float first, as the collected load parses: the statistics are those of the values the network sees.
            sel.add(quoted(featureNames.get(j)).cast("float").cast("double").as("_f" + j));
        }
        int threshold = (int) Math.round(spec.testFraction() * SPLIT_MODULUS);
        Dataset<Row> rows = frame.select(sel.toArray(Column[]::new))
                .withColumn("_test", pmod(col("_split"), lit(SPLIT_MODULUS)).lt(threshold));

        // One job: counts, bad cells, the training split's statistics and the content fingerprint.
        List<Column> agg = new ArrayList<>();
        agg.add(sum(when(col("_test"), 1).otherwise(0)).as("test"));
        agg.add(count(when(col("_y").isNull().or(col("_y").equalTo("")), 1)).as("bad_y"));
        agg.add(sum(col("_content").cast("decimal(38,0)")).as("content"));
        for (int j = 0; j < d; j++) {
            Column f = col("_f" + j);
            Column t = when(not(col("_test")), f);
            agg.add(count(when(f.isNull().or(isnan(f)).or(abs(f).gt(Float.MAX_VALUE)), 1)).as("bad" + j));
            agg.add(avg(t).as("mean" + j));
            agg.add(stddev_pop(t).as("std" + j));
            agg.add(min(t).as("min" + j));
            agg.add(max(t).as("max" + j));
        }
        Row a = rows.agg(count(lit(1)).as("n"), agg.toArray(Column[]::new)).first();
        long n = a.getLong(0);
        long nTest = a.isNullAt(1) ? 0 : a.getLong(1);
        if (a.getLong(2) > 0) {
            throw new IllegalArgumentException("dataset.label '" + spec.label() + "' of '" + path + "' has " + a.getLong(2)
                    + " missing values.");
        }
        double[] mean = new double[d];
        double[] std = new double[d];
        for (int j = 0; j < d; j++) {
            int k = 4 + 5 * j;
            long bad = a.getLong(k);
            if (bad > 0) {
                throw new IllegalArgumentException("dataset column '" + featureNames.get(j) + "' of '" + path + "' has "
                        + bad + " missing, non-numeric or non-finite 32-bit values.");
            }
            if (n - nTest > 0) {
                boolean constant = a.getDouble(k + 3) == a.getDouble(k + 4);
                mean[j] = constant ? a.getDouble(k + 3) : a.getDouble(k + 1);
                std[j] = constant ? 1 : a.getDouble(k + 2);
            }
        }
        if (n - nTest < 1 || nTest < 1) {
            throw new IllegalArgumentException("dataset '" + path + "' splits into " + (n - nTest) + " training and "
                    + nTest + " test rows at test_fraction " + spec.testFraction() + "; each part needs at least one row.");
        }
        List<String> labels = rows.select("_y").distinct().limit(MAX_CLASSES + 1).collectAsList().stream()
                .map(r -> r.getString(0)).toList();
        if (labels.size() > MAX_CLASSES) {
            throw new IllegalArgumentException("dataset.label '" + spec.label() + "' of '" + path + "' has more than "
                    + MAX_CLASSES + " distinct values; a classification label has fewer.");
        }
        DatasetLoader.Classes cls = DatasetLoader.Classes.of(labels, spec.label(), path);
        int k = cls.names().size();
        String fp = fingerprint(spec, n, nTest, a.get(3).toString(), d, cls);

        JavaRDD<Example> train = rows.where(not(col("_test"))).select(fields(d)).javaRDD()
                .mapPartitions(it -> standardize(it, d, mean, std, cls))
                .persist(StorageLevel.MEMORY_AND_DISK());
        JavaRDD<Minibatch> test = rows.where(col("_test")).select(fields(d)).javaRDD()
                .mapPartitionsWithIndex((p, it) -> chunks(p, standardize(it, d, mean, std, cls), d, k), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        return new DistributedData(spec.canonical(), d, k, n - nTest, nTest, fp, train, test);
    }

    private static Column quoted(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }

    private static Column[] with(Column[] cols, Column extra) {
        Column[] c = Arrays.copyOf(cols, cols.length + 1);
        c[cols.length] = extra;
        return c;
    }

    private static Column[] fields(int d) {
        Column[] c = new Column[d + 2];
        c[0] = col("_key");
        c[1] = col("_y");
        for (int j = 0; j < d; j++) {
            c[j + 2] = col("_f" + j);
        }
        return c;
    }

    private static Iterator<Example> standardize(Iterator<Row> it, int d, double[] mean, double[] std,
                                                 DatasetLoader.Classes cls) {
        ToIntFunction<String> index = cls.indexer();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Example next() {
                Row r = it.next();
                float[] x = new float[d];
                for (int j = 0; j < d; j++) {
                    x[j] = (float) ((r.getDouble(j + 2) - mean[j]) / std[j]);
                }
                return new Example(r.getLong(0), x, index.applyAsInt(r.getString(1)));
            }
        };
    }

    private static Iterator<Minibatch> chunks(int partition, Iterator<Example> it, int d, int k) {
        List<Minibatch> out = new ArrayList<>();
        List<Example> buf = new ArrayList<>(TEST_CHUNK);
        long id = (long) partition << 32;
        while (it.hasNext()) {
            buf.add(it.next());
            if (buf.size() == TEST_CHUNK || !it.hasNext()) {
                out.add(of(id++, buf, d, k));
                buf.clear();
            }
        }
        return out.iterator();
    }

    private static Minibatch of(long id, List<Example> rows, int d, int k) {
        float[] x = new float[rows.size() * d];
        int[] y = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i).x(), 0, x, i * d, d);
            y[i] = rows.get(i).y();
        }
        return new Minibatch(id, x, y, d, k);
    }

    private static String fingerprint(DatasetSpec spec, long n, long nTest, String contentSum, int d,
                                      DatasetLoader.Classes cls) {
        String text = "distributed;" + spec.canonical() + ";rows=" + n + ";test=" + nTest + ";features=" + d
                + ";classes=" + cls.names() + ";content=" + contentSum;
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public String name() {
        return name;
    }

    public int features() {
        return features;
    }

    public int classes() {
        return classes;
    }

    public long trainRows() {
        return trainRows;
    }

    public long testRows() {
        return testRows;
    }

    /**
     * SHA-256 over the spec, the row and test counts, features, classes and the sum of the rows' content hashes:
     * what the manifest records for a sweep whose data never reach the driver (a changed row changes it).
     */
    public String fingerprint() {
        return fingerprint;
    }

    /** The persisted standardized training rows (for tests and the trials' orders). */
    JavaRDD<Example> trainExamples() {
        return train;
    }

    /** The persisted test chunks. */
    JavaRDD<Minibatch> testChunks() {
        return test;
    }

    /** A trial's view: its order of the training rows, cut into minibatches and persisted until it closes. */
    public TrialData.Source forTrial(long seed) {
        return (workers, perWorker, frequency, dt) -> new Trial(seed, workers, perWorker, frequency, dt);
    }

    @Override
    public void close() {
        train.unpersist(false);
        test.unpersist(false);
    }

    /**
     * {mean cross-entropy, accuracy} of the driver's network {@code g} over {@code data}, on the executors with the
     * task trials' evaluation code ({@code TrialRunner.evaluate}): each partition rebuilds the network from its
     * JSON configuration and the broadcast parameters, and only three sums come back. (DL4J Spark's own
     * {@code evaluate}/{@code calculateScore} failed on the standalone cluster with a rank-0 input inside its
     * shared evaluation runner.)
     */
    static double[] evaluate(ComputationGraph g, JavaRDD<Minibatch> data, DataType dt) {
        String json = g.getConfiguration().toJson();
        double[] params = g.params().castTo(DataType.DOUBLE).dup().data().asDouble();
        int len = params.length;
        org.apache.spark.broadcast.Broadcast<double[]> bp =
                org.apache.spark.api.java.JavaSparkContext.fromSparkContext(data.context()).broadcast(params);
        try {
            double[] sums = data.mapPartitions(it -> {
                ComputationGraph net = null;
                double loss = 0;
                double correct = 0;
                double n = 0;
                try {
                    while (it.hasNext()) {
                        Minibatch m = it.next();
                        if (net == null) {
                            net = new ComputationGraph(org.deeplearning4j.nn.conf.ComputationGraphConfiguration.fromJson(json));
                            net.init(org.nd4j.linalg.factory.Nd4j.create(bp.value()).castTo(dt).reshape(1, len), false);
                        }
                        org.nd4j.linalg.api.ndarray.INDArray x = org.nd4j.linalg.factory.Nd4j.create(m.x(),
                                new long[]{m.rows(), m.features()}, 'c').castTo(dt);
                        double[] r = io.gradflow.trial.TrialRunner.evaluate(net, x, m.y());
                        loss += r[0] * m.rows();
                        correct += r[1] * m.rows();
                        n += m.rows();
                        x.close();
                    }
                } finally {
                    io.gradflow.trial.NativeMemory.release(net);
                }
                return List.of(new double[]{loss, correct, n}).iterator();
            }).reduce((a, b) -> new double[]{a[0] + b[0], a[1] + b[1], a[2] + b[2]});
            return new double[]{sums[0] / sums[2], sums[1] / sums[2]};
        } finally {
            bp.destroy();
        }
    }

    /** fmix64 of MurmurHash3: a row's place in one trial's order, from its content hash and the trial's seed. */
    static long mix(long key, long seed) {
        long h = key ^ (seed * 0x9E3779B97F4A7C15L);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** Puts worker w's minibatches (key w·F + s) in partition w, in step order. */
    static final class WorkerPartitioner extends Partitioner {
        private final int workers;
        private final int frequency;

        WorkerPartitioner(int workers, int frequency) {
            this.workers = workers;
            this.frequency = frequency;
        }

        @Override
        public int numPartitions() {
            return workers;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((Long) key / frequency);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WorkerPartitioner p && p.workers == workers && p.frequency == frequency;
        }

        @Override
        public int hashCode() {
            return 31 * workers + frequency;
        }
    }

    final class Trial implements TrialData {
        private final int workers;
        private final int frequency;
        private final DataType dt;
        private final long minibatches;
        private final JavaPairRDD<Long, Minibatch> batches;
        private long round;

        Trial(long seed, int workers, int perWorker, int frequency, DataType dt) {
            this.workers = workers;
            this.frequency = frequency;
            this.dt = dt;
            this.minibatches = trainRows / perWorker;
            if (minibatches < 1) {
                throw new IllegalArgumentException("batch_size_per_worker " + perWorker + " exceeds the " + trainRows
                        + " training rows of dataset " + name + "; use a smaller batch_size_per_worker");
            }
            int d = features;
            int k = classes;
            long m = minibatches;
            long b = perWorker;
            this.batches = train.mapToPair(e -> new Tuple2<>(mix(e.key(), seed), e))
                    .sortByKey()
                    .values()
                    .zipWithIndex()
                    .filter(t -> t._2() < m * b)
                    .mapToPair(t -> new Tuple2<>(t._2() / b, new Tuple2<>(t._2(), t._1())))
                    .groupByKey(new HashPartitioner(train.getNumPartitions()))
                    .mapToPair(g -> {
                        List<Tuple2<Long, Example>> rows = new ArrayList<>();
                        g._2().forEach(rows::add);
                        rows.sort(Comparator.comparingLong(Tuple2::_1));
                        return new Tuple2<>(g._1(), of(g._1(), rows.stream().map(Tuple2::_2).toList(), d, k));
                    })
                    .persist(StorageLevel.MEMORY_AND_DISK());
        }

        @Override
        public int features() {
            return features;
        }

        @Override
        public int classes() {
            return classes;
        }

        @Override
        public long trainSize() {
            return trainRows;
        }

        @Override
        public DataSet probe() {
            long m = minibatches;
            int w = workers;
            List<Minibatch> first = new ArrayList<>(batches.filter(t -> t._1() < Math.min(w, m)).values().collect());
            first.sort(Comparator.comparingLong(Minibatch::id));
            List<Minibatch> global = new ArrayList<>(w);
            for (int i = 0; i < w; i++) {
                global.add(first.get((int) (i % first.size())));
            }
            return Minibatch.concat(0, global).toDataSet(dt);
        }

        @Override
        public JavaRDD<DataSet> nextRound() {
            long start = round * workers * frequency;
            round++;
            long m = minibatches;
            int w = workers;
            int f = frequency;
            DataType type = dt;
            return batches.flatMapToPair(t -> {
                        // every slot j of the round whose minibatch (start + j) mod m is this one
                        List<Tuple2<Long, Minibatch>> out = new ArrayList<>(1);
                        long j0 = Math.floorMod(t._1() - start, m);
                        for (long j = j0; j < (long) w * f; j += m) {
                            long step = j / w;
                            long worker = j % w;
                            out.add(new Tuple2<>(worker * f + step, t._2()));
                        }
                        return out.iterator();
                    })
                    .repartitionAndSortWithinPartitions(new WorkerPartitioner(w, f))
                    .values()
                    .map(mb -> mb.toDataSet(type));
        }

        @Override
        public double[] test(SparkComputationGraph s, ComputationGraph g) {
            return evaluate(g, test, dt);
        }

        @Override
        public double trainLoss(SparkComputationGraph s, ComputationGraph g) {
            return evaluate(g, batches.values(), dt)[0];
        }

        @Override
        public void close() {
            batches.unpersist(false);
        }
    }
}
