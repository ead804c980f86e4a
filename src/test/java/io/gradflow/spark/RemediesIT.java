package io.gradflow.spark;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.store.Schemas;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's acceptance on one local[2] session, written to and read back from Parquet: global-norm clipping turns
 * diverging N(0, 1) ReLU networks into finished ones and records the clipped share; at depth 50 with ReLU + He the
 * unit residual diverges while the scaled and rezero forms train. Both appear in comparison, effects and the report.
 */
class RemediesIT {

    private static SparkSession spark;

    @TempDir
    Path tmp;

    /** Exploding ReLU nets: without clipping the loss is NaN within a few steps. */
    static final String CLIP = """
            name: clip
            seeds: [1, 2]
            axes:
              clip: [none, norm(1.0)]
              depth: [3, 5]
            training: {activation: relu, init: normal(1.0), width: 32, steps: 30, batch_size: 32, learning_rate: 0.05}
            dataset: {kind: spirals, classes: 3, samples: 600, seed: 7}
            """;

    /** Fifty ReLU + He blocks with the four residual forms. */
    static final String RESIDUAL = """
            name: residual
            seeds: [1]
            axes:
              residual: [false, true, scaled, rezero]
            training: {activation: relu, init: he, depth: 50, width: 16, steps: 30, batch_size: 32, learning_rate: 0.05}
            dataset: {kind: blobs, classes: 3, samples: 300, features: 8, noise: 1.0, seed: 7}
            """;

    @BeforeAll
    static void start() {
        spark = SparkSessions.create("local[2]", Map.of("spark.ui.enabled", "false"), "RemediesIT");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private Dataset<Row> sweep(String text, String name) {
        GridSpec g = GridParser.parse(text, name + ".yaml", name);
        SweepOutcome o = SweepJob.run(spark, g, tmp.toString(), false, null);
        assertThat(o.complete()).isTrue();
        Dataset<Row> trials = spark.read().parquet(tmp.resolve(name + "/trials").toString());
        assertThat(trials.schema()).isEqualTo(Schemas.TRIALS.schema().asNullable());
        return trials;
    }

    private static Map<String, String> verdicts(Dataset<Row> trials, String key) {
        return trials.selectExpr(key + " AS k", "verdict").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1), (a, b) -> a + "," + b));
    }

    @Test
    void globalNormClippingTurnsDivergedTrialsIntoFinishedOnesAndRecordsTheShare() throws Exception {
        Dataset<Row> trials = sweep(CLIP, "clip");
        assertThat(trials.count()).isEqualTo(8);
        List<Row> none = trials.where("clip = 'none'").select("verdict", "clipped_share", "steps_completed").collectAsList();
        assertThat(none).hasSize(4).allSatisfy(r -> {
            assertThat(r.getString(0)).isEqualTo("DIVERGED");
            assertThat(r.getDouble(1)).isEqualTo(0.0);
            assertThat(r.getInt(2)).isLessThan(30);
        });
        List<Row> clipped = trials.where("clip = 'norm(1.0)'").select("verdict", "clipped_share", "steps_completed",
                "final_train_loss").collectAsList();
        assertThat(clipped).hasSize(4).allSatisfy(r -> {
            assertThat(r.getString(0)).isIn("HEALTHY", "EXPLODING");
            assertThat(r.getDouble(1)).isGreaterThan(0.5).isLessThanOrEqualTo(1.0);
            assertThat(r.getInt(2)).isEqualTo(30);
            assertThat(Double.isFinite(r.getDouble(3))).isTrue();
        });
        // existing configurations keep their ids: clip=none trials have no clip in their canonical form
        assertThat(trials.where("clip = 'none' and config like '%clip=%'").count()).isZero();
        assertThat(trials.where("clip = 'norm(1.0)' and config like '%;clip=norm(1.0)'").count()).isEqualTo(4);

        Path dir = tmp.resolve("clip");
        Dataset<Row> effects = spark.read().parquet(dir.resolve("effects").toString());
        assertThat(effects.where("kind = 'main' and axis = 'clip' and level = 'norm(1.0)' and baseline = 'none'"
                + " and outcome = 'flow_log10_delta_init' and n_pairs = 4").count()).isEqualTo(1);
        Dataset<Row> comparison = spark.read().parquet(dir.resolve("comparison").toString());
        assertThat(comparison.where("clip = 'norm(1.0)' and n_diverged = 0").count()).isEqualTo(2);
        assertThat(comparison.where("clip = 'none' and n_diverged = 2").count()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve("report.html"))).contains("clip=norm(1.0), depth=5");
    }

    @Test
    void atDepthFiftyTheUnitResidualDivergesAndTheScaledFormsTrain() throws Exception {
        Dataset<Row> trials = sweep(RESIDUAL, "residual");
        Map<String, String> v = verdicts(trials, "residual_form");
        assertThat(v.get("true")).isIn("DIVERGED", "EXPLODING");
        assertThat(v.get("scaled")).isEqualTo("HEALTHY");
        assertThat(v.get("rezero")).isEqualTo("HEALTHY");
        for (String form : new String[]{"scaled", "rezero"}) {
            Row r = trials.where("residual_form = '" + form + "'").select("final_train_loss", "residual",
                    "flow_log10_delta_out_init", "flow_log10_delta_out_train").first();
            assertThat(r.getDouble(0)).as(form + " final train loss, against ln 3 = 1.0986 at chance").isLessThan(0.3);
            assertThat(r.getBoolean(1)).isTrue();
            assertThat(r.isNullAt(2)).isFalse();
            assertThat(r.isNullAt(3)).isFalse();
        }
        // rezero is the identity at init: the stream's ‖δ‖ is the same at every block, the branch's δ is 0
        Row rz = trials.where("residual_form = 'rezero'").select("flow_log10_delta_out_init", "flow_log10_delta_init",
                "flow_underflow", "trial_id").first();
        assertThat(Math.abs(rz.getDouble(0))).isLessThan(1e-6);
        assertThat(rz.isNullAt(1)).isTrue();
        assertThat(rz.getBoolean(2)).isFalse();
        Dataset<Row> layers = spark.read().parquet(tmp.resolve("residual/layer_stats").toString());
        assertThat(layers.where("trial_id = '" + rz.getString(3) + "' and step = 0 and delta_norm <> 0").count()).isZero();
        assertThat(layers.where("trial_id = '" + rz.getString(3) + "' and step = 0 and delta_out_norm > 0").count()).isEqualTo(50);
        assertThat(trials.where("residual_form = 'false' and not residual").count()).isEqualTo(1);

        Path dir = tmp.resolve("residual");
        Dataset<Row> effects = spark.read().parquet(dir.resolve("effects").toString());
        assertThat(effects.where("kind = 'main' and axis = 'residual' and baseline = 'false' and outcome = 'final_train_loss'")
                .select("level").collectAsList().stream().map(r -> r.getString(0)).toList())
                .containsExactlyInAnyOrder("scaled", "rezero"); // true diverged: no final loss to pair
        Dataset<Row> comparison = spark.read().parquet(dir.resolve("comparison").toString());
        assertThat(comparison.select("residual_form", "residual").collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getString(0), r -> r.getBoolean(1))))
                .containsExactlyInAnyOrderEntriesOf(Map.of("false", false, "true", true, "scaled", true, "rezero", true));
        assertThat(Files.readString(dir.resolve("report.html"))).contains("residual=scaled").contains("residual=rezero");
    }
}
