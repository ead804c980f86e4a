package io.gradflow.dp;

import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetSpec;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.spark.SparkSessions;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A user's Parquet table for data-parallel trials, read as Spark partitions on {@code local[2]} (issue 14, item 2):
 * checked, split and standardized by Spark, each trial's order cut into the workers' minibatches round by round,
 * and a sweep of data trials on it that trains, measures and resumes without collecting the training rows.
 */
class DistributedDataIT {

    private static SparkSession spark;

    @TempDir
    static Path tmp;

    static Path table;
    static final int ROWS = 600;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "DistributedDataIT");
        // Three string classes of blobs in four features, written as four Parquet part files.
        SplittableRandom r = new SplittableRandom(5);
        List<Row> rows = new ArrayList<>();
        String[] names = {"beta", "alpha", "gamma"};
        for (int i = 0; i < ROWS; i++) {
            int c = i % 3;
            rows.add(RowFactory.create(c * 2.0 + r.nextGaussian(), 10 + r.nextGaussian(), (c == 1 ? 3.0 : 0.0) + r.nextGaussian(),
                    100.0 * r.nextGaussian(), names[c]));
        }
        StructType schema = new StructType().add("f0", DataTypes.DoubleType).add("f1", DataTypes.DoubleType)
                .add("f2", DataTypes.DoubleType).add("f3", DataTypes.DoubleType).add("kind", DataTypes.StringType);
        table = tmp.resolve("table.parquet");
        spark.createDataFrame(rows, schema).repartition(4).write().parquet(table.toString());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static DatasetSpec spec(Path path) {
        return new DatasetSpec(DatasetKind.PARQUET, 0, 0, 0, 0, 0.25, 7, path.toString(), "kind");
    }

    @Test
    void sparkSplitsStandardizesAndNumbersTheClassesAsTheCollectedLoadDoes() {
        try (DistributedData d = DistributedData.read(spark, spec(table))) {
            assertThat(d.features()).isEqualTo(4);
            assertThat(d.classes()).isEqualTo(3);
            assertThat(d.trainRows() + d.testRows()).isEqualTo(ROWS);
            assertThat(d.testRows()).as("about a quarter held out by row hash").isBetween(110L, 190L);
            List<DistributedData.Example> train = d.trainExamples().collect();
            assertThat(train).hasSize((int) d.trainRows());
            for (int j = 0; j < 4; j++) {
                int f = j;
                double mean = train.stream().mapToDouble(e -> e.x()[f]).average().orElseThrow();
                double var = train.stream().mapToDouble(e -> (e.x()[f] - mean) * (e.x()[f] - mean)).average().orElseThrow();
                assertThat(mean).as("feature %d's training mean", j).isCloseTo(0.0, within(1e-5));
                assertThat(var).as("feature %d's training variance", j).isCloseTo(1.0, within(1e-4));
            }
            // Classes sorted as text, as DatasetLoader numbers them: alpha 0, beta 1, gamma 2; "alpha" is f2's blob.
            double f2OfAlpha = train.stream().filter(e -> e.y() == 0).mapToDouble(e -> e.x()[2]).average().orElseThrow();
            assertThat(f2OfAlpha).isGreaterThan(1.0);
            assertThat(d.testChunks().map(Minibatch::rows).reduce(Integer::sum)).isEqualTo((int) d.testRows());
            // the same file read again is the same data
            try (DistributedData again = DistributedData.read(spark, spec(table))) {
                assertThat(again.fingerprint()).isEqualTo(d.fingerprint());
                assertThat(again.testRows()).isEqualTo(d.testRows());
            }
        }
    }

    private static List<List<DataSet>> partitions(JavaRDD<DataSet> rdd) {
        return rdd.glom().collect();
    }

    private static Set<String> rowsOf(DataSet ds) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i < ds.numExamples(); i++) {
            out.add(java.util.Arrays.toString(ds.getFeatures().getRow(i).toFloatVector()));
        }
        return out;
    }

    @Test
    void eachRoundGivesEveryWorkerItsMinibatchesInOrderAndTheProbeIsTheFirstGlobalOne() {
        try (DistributedData d = DistributedData.read(spark, spec(table));
             TrialData t = d.forTrial(1).open(2, 8, 3, DataType.FLOAT)) {
            DataSet probe = t.probe();
            assertThat(probe.numExamples()).isEqualTo(16);
            List<List<DataSet>> r0 = partitions(t.nextRound());
            assertThat(r0).hasSize(2).allSatisfy(p -> {
                assertThat(p).hasSize(3);
                assertThat(p).allSatisfy(ds -> assertThat(ds.numExamples()).isEqualTo(8));
            });
            // the first global minibatch is worker 0's and worker 1's first minibatch
            Set<String> first = new HashSet<>(rowsOf(r0.get(0).get(0)));
            first.addAll(rowsOf(r0.get(1).get(0)));
            assertThat(rowsOf(probe)).isEqualTo(first);
            // a round's six minibatches are 48 distinct rows, and the next round moves on
            Set<String> round0 = new HashSet<>();
            r0.forEach(p -> p.forEach(ds -> round0.addAll(rowsOf(ds))));
            assertThat(round0).hasSize(48);
            Set<String> round1 = new HashSet<>();
            partitions(t.nextRound()).forEach(p -> p.forEach(ds -> round1.addAll(rowsOf(ds))));
            assertThat(round1).hasSize(48).doesNotContainAnyElementsOf(round0);
            // another seed, another order
            try (TrialData other = d.forTrial(2).open(2, 8, 3, DataType.FLOAT)) {
                assertThat(rowsOf(other.probe())).isNotEqualTo(rowsOf(probe));
            }
        }
    }

    @Test
    void aBadCellIsOneLineNamingTheColumn() throws Exception {
        Path csv = tmp.resolve("bad.csv");
        Files.writeString(csv, "a,b,y\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n");
        DatasetSpec s = new DatasetSpec(DatasetKind.CSV, 0, 0, 0, 0, 0.25, 7, csv.toString(), "y");
        assertThatThrownBy(() -> DistributedData.read(spark, s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataset column 'b' of '" + csv + "' has 1 missing, non-numeric or non-finite 32-bit values.");
    }

    @Test
    void aSweepOfDataTrialsOnTheTableTrainsMeasuresAndResumes() throws Exception {
        String grid = """
                name: spread
                seeds: [1, 2]
                axes:
                  activation: [tanh, relu]
                training: {parallelism: data, workers: 2, batch_size_per_worker: 16, averaging_frequency: 2,
                           depth: 3, width: 16, steps: 16, batch_size: 32, learning_rate: 0.1}
                dataset: {kind: parquet, path: "%s", label: kind, test_fraction: 0.25, seed: 7}
                """.formatted(table);
        GridSpec g = GridParser.parse(grid, "spread.yaml", "spread");
        Path out = tmp.resolve("out");
        SweepOutcome o = SweepJob.run(spark, g, out.toString(), SweepJob.Mode.NEW, null);
        assertThat(o.complete()).as(String.valueOf(o.error())).isTrue();
        assertThat(o.ran()).isEqualTo(4);
        Dataset<Row> trials = spark.read().parquet(out.resolve("spread/trials").toString());
        assertThat(trials.count()).isEqualTo(4);
        assertThat(trials.where("verdict = 'FAILED'").count()).isZero();
        assertThat(trials.where("parallelism = 'data' and workers = 2 and test_accuracy between 0 and 1"
                + " and final_train_loss > 0 and flow_log10_delta_init is not null").count()).isEqualTo(4);
        // 8 rounds of 2 steps on a log2 schedule over rounds: 0, 1, 2, 4, 7 → steps 0, 2, 4, 8, 14
        assertThat(spark.read().parquet(out.resolve("spread/layer_stats").toString()).count()).isEqualTo(4 * 5 * 3);
        String fp;
        try (DistributedData d = DistributedData.read(spark, g.dataset())) {
            fp = d.fingerprint();
        }
        assertThat(Files.readString(out.resolve("spread/manifest.json")))
                .as("the data were fingerprinted by Spark, not collected").contains("\"dataset_fingerprint\" : \"" + fp + "\"");
        assertThat(SweepJob.run(spark, g, out.toString(), SweepJob.Mode.RESUME, null).ran()).isZero();
    }
}
