package io.gradflow.dp;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Activation;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Parallelism;
import io.gradflow.grid.Precision;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.Network;
import io.gradflow.model.NetworkFactory;
import io.gradflow.spark.SparkSessions;
import io.gradflow.testutil.Fixtures;
import io.gradflow.trial.LayerStat;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;
import io.gradflow.trial.Verdict;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A data trial on {@code local[2]} against a task trial: with plain SGD, averaging after every step, two workers of
 * batch b and no batch norm, parameter averaging computes mean_i(w − η g_i) = w − η mean_i(g_i), which is the task
 * trial's step with batch 2b on the same examples; only the order of the floating-point sums differs.
 */
class DataParallelIT {

    private static SparkSession spark;
    private static JavaSparkContext sc;
    private final Dataset data = Fixtures.blobs(400, 4, 3, 11);

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "DataParallelIT");
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static TrialConfig trial(Precision dt, int steps, int batch, Parallelism p) {
        TrialConfig b = Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), false, false, 3, steps);
        return new TrialConfig(b.activation(), b.init(), false, false, b.depth(), b.width(), steps, batch,
                Optimizer.SGD, 0.1, dt, b.seed(), b.dataset(), b.schedule(), b.targetLoss(), b.health(), p);
    }

    /** Max |a − b| over the parameters, and max |a| for scale. */
    private static double[] diff(ComputationGraph a, ComputationGraph b) {
        INDArray pa = a.params().castTo(DataType.DOUBLE);
        INDArray pb = b.params().castTo(DataType.DOUBLE);
        return new double[]{pa.sub(pb).amaxNumber().doubleValue(), pa.amaxNumber().doubleValue()};
    }

    private double[] afterSteps(Precision dt, int k) {
        int workers = 2;
        int b = 8;
        TrialConfig dataTrial = trial(dt, k, b, new Parallelism(Parallelism.Mode.DATA, workers, b, 1));
        TrialConfig taskTrial = trial(dt, k, workers * b, Parallelism.task());
        try (DataParallelTrial t = new DataParallelTrial(sc, dataTrial, data)) {
            for (int r = 0; r < k; r++) {
                t.round();
            }
            // The task trial's loop: same network, the same global minibatches in the same order.
            Network ref = NetworkFactory.build(taskTrial, data.features(), data.classes());
            DataType dtype = dt == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
            INDArray x = TrialRunner.matrix(data.trainX(), data.trainSize(), data.features(), dtype);
            INDArray y = TrialRunner.oneHot(data.trainY(), data.classes(), dtype);
            MinibatchOrder order = new MinibatchOrder(taskTrial.seed(), data.trainSize(), workers * b);
            double[] d0 = diff(t.graph(), ref.graph());
            assertThat(d0[0]).as("the networks differ before any step").isGreaterThan(0.0);
            for (int s = 0; s < k; s++) {
                int[] idx = order.next();
                ref.graph().fit(new DataSet(Nd4j.pullRows(x, 1, idx), Nd4j.pullRows(y, 1, idx)));
            }
            assertThat(t.executors()).isNotEmpty();
            return diff(t.graph(), ref.graph());
        }
    }

    @Test
    void averagingEveryStepEqualsOneBigBatchInDouble() {
        double[] d = afterSteps(Precision.DOUBLE, 6);
        System.out.printf("double: max |Δw| after 6 steps = %.3g (max |w| = %.3g)%n", d[0], d[1]);
        // Exact equality does not hold: (w − η g₁ + w − η g₂)/2 and w − η (g₁ + g₂)/2 round differently.
        assertThat(d[0]).isLessThan(1e-14 * d[1]); // measured: 3.3e-16 at max |w| 0.88
    }

    @Test
    void averagingEveryStepEqualsOneBigBatchInFloat() {
        double[] d = afterSteps(Precision.FLOAT, 6);
        System.out.printf("float: max |Δw| after 6 steps = %.3g (max |w| = %.3g)%n", d[0], d[1]);
        assertThat(d[0]).isLessThan(1e-6 * d[1]); // measured: 1.2e-7 at max |w| 0.88
    }

    @Test
    void aDataTrialsStepZeroStatisticsAreTheTaskTrials() {
        TrialConfig dataTrial = trial(Precision.FLOAT, 8, 8, new Parallelism(Parallelism.Mode.DATA, 2, 8, 1));
        TrialConfig taskTrial = trial(Precision.FLOAT, 8, 16, Parallelism.task());
        TrialResult d = DataParallelRunner.run(sc, dataTrial, data);
        TrialResult t = TrialRunner.run(taskTrial, data, RunOptions.standalone());
        assertThat(d.summary().errorStack()).isNull();
        assertThat(d.summary().verdict()).isNotEqualTo(Verdict.FAILED);
        // log2 over 8 rounds: 0, 1, 2, 4, 7
        assertThat(d.layerStats()).hasSize(5 * 3);
        List<LayerStat> d0 = d.layerStats().stream().filter(l -> l.step() == 0).toList();
        List<LayerStat> t0 = t.layerStats().stream().filter(l -> l.step() == 0).toList();
        assertThat(d0).hasSize(3);
        for (int i = 0; i < 3; i++) {
            LayerStat a = d0.get(i);
            LayerStat b = t0.get(i);
            assertThat(a.deltaPre()).isPositive().isEqualTo(b.deltaPre());
            assertThat(a.gradNorm()).isPositive().isEqualTo(b.gradNorm());
            assertThat(a.weightNorm()).isEqualTo(b.weightNorm());
            assertThat(a.updateRatio()).isPositive().isEqualTo(b.updateRatio());
            assertThat(a.actStd()).isEqualTo(b.actStd());
        }
        assertThat(d.summary().flowDeltaInit()).isEqualTo(t.summary().flowDeltaInit());
        assertThat(d.summary().stepsCompleted()).isEqualTo(8);
        assertThat(d.summary().trainTimeMs()).isPositive();
        assertThat(d.summary().provenance().executorId()).isEqualTo("driver");
        assertThat(d.curve().get(0).trainLoss()).isCloseTo(t.curve().get(0).trainLoss(), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(d.summary().testAccuracy()).isBetween(0.0, 1.0);
    }

    @Test
    void aSweepMixesTaskAndDataTrialsAndResumeTreatsFinishedDataTrialsAsDone(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        String yaml = """
                name: mixed
                seeds: [1]
                axes:
                  parallelism: [task, data]
                  averaging_frequency: [1, 2]
                exclude: [{parallelism: task, averaging_frequency: 2}]
                training: {steps: 8, depth: 3, width: 16, batch_size: 16, workers: 2, batch_size_per_worker: 8}
                dataset: {kind: blobs, samples: 300, classes: 3, features: 4}
                """;
        io.gradflow.grid.GridSpec g = io.gradflow.grid.GridParser.parse(yaml, "mixed.yaml", null);
        io.gradflow.spark.SweepOutcome o = io.gradflow.spark.SweepJob.run(spark, g, tmp.toString(), false, null);
        assertThat(o.error()).isNull();
        assertThat(o.rows()).isEqualTo(3); // one task trial (the data settings do not apply to it) + two data trials
        assertThat(o.ran()).as("the data trials count as run, not only the task job's").isEqualTo(3);
        var trials = spark.read().parquet(tmp.resolve("mixed/trials").toString());
        assertThat(trials.filter("parallelism = 'data' and workers = 2 and verdict <> 'FAILED'").count()).isEqualTo(2);
        assertThat(trials.filter("parallelism = 'data' and averaging_time_ms >= 0 and executor_id = 'driver'").count()).isEqualTo(2);
        var layers = spark.read().parquet(tmp.resolve("mixed/layer_stats").toString());
        var dataIds = trials.filter("parallelism = 'data' and averaging_frequency = 2").select("trial_id");
        // 8 steps at 2 per round = 4 rounds; log2 over rounds 0, 1, 2, 3 → steps 0, 2, 4, 6; × 3 blocks
        assertThat(layers.join(dataIds, "trial_id").filter("delta_norm > 0").count()).isEqualTo(4 * 3);
        assertThat(layers.join(dataIds, "trial_id").select("step").distinct().count()).isEqualTo(4);
        io.gradflow.spark.SweepOutcome again = io.gradflow.spark.SweepJob.run(spark, g, tmp.toString(),
                io.gradflow.spark.SweepJob.Mode.RESUME, null);
        assertThat(again.ran()).isZero();
        assertThat(again.rows()).isEqualTo(3);
    }
}
