package io.gradflow.reliability;

import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.spark.SparkSessions;
import io.gradflow.spark.SweepJob;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The same grid gives the same trial ids and bit-identical statistics on local[1] and local[2]. */
class DeterminismIT {

    @TempDir
    Path tmp;

    static final String GRID = """
            name: det
            seeds: [1]
            axes:
              activation: [tanh, relu, gelu]
              batchnorm: [false, true]
              residual: [false, true]
            training: {init: he, depth: 3, width: 16, steps: 12, batch_size: 16, optimizer: adam, learning_rate: 0.01}
            dataset: {kind: teacher, samples: 300, classes: 3, features: 6}
            """;

    private static List<Row> read(SparkSession spark, Path dir, String ds, String cols) {
        return spark.read().parquet(dir.resolve("det/" + ds).toString()).selectExpr(cols.split(",\\s*"))
                .orderBy("trial_id", cols.startsWith("trial_id, step") ? "step" : "trial_id").collectAsList();
    }

    @Test
    void localOneAndLocalTwoAgreeBitForBit() {
        GridSpec g = GridParser.parse(GRID, "det.yaml", "det");
        String trialCols = "trial_id, rng_seed, verdict, flow_log10_delta_init, flow_log10_delta_train, flow_log10_grad_init, "
                + "flow_log10_grad_train, delta_slope_init, final_train_loss, best_train_loss, test_loss, test_accuracy, steps_to_target";
        String layerCols = "trial_id, step, block, delta_norm, delta_out_norm, grad_norm, grad_mean_abs, grad_max_abs, "
                + "weight_norm, update_ratio, act_mean, act_std, act_saturated_frac, act_dead_frac";
        List<List<Row>> runs = new java.util.ArrayList<>();
        for (String master : List.of("local[1]", "local[2]")) {
            SparkSession spark = SparkSessions.create(master, Map.of("spark.ui.enabled", "false"), "DeterminismIT");
            try {
                Path out = tmp.resolve(master.replaceAll("\\W", ""));
                SweepJob.run(spark, g, out.toString(), false, null);
                List<Row> all = new java.util.ArrayList<>(read(spark, out, "trials", trialCols));
                all.addAll(read(spark, out, "layer_stats", layerCols));
                all.addAll(read(spark, out, "curves", "trial_id, step, train_loss, test_loss, test_accuracy"));
                runs.add(all);
                assertThat(spark.sparkContext().master()).isEqualTo(master);
            } finally {
                spark.stop();
            }
        }
        assertThat(runs.get(0)).hasSize(runs.get(1).size());
        assertThat(runs.get(1)).isEqualTo(runs.get(0));
        List<String> ids = Grid.expand(g).stream().map(TrialConfig::trialId).sorted().toList();
        assertThat(runs.get(0).subList(0, ids.size()).stream().map(r -> r.getString(0)).toList()).isEqualTo(ids);
    }
}
