package io.gradflow.bench;

import io.gradflow.spark.SparkSessions;
import io.gradflow.store.SweepDir;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Makes a large sweep folder of a real sweep's shape for benchmarking {@code gradflow report}: the rows of a real
 * sweep copied {@code copies} times, each copy with new trial ids and its outcomes jittered by up to 1%. By default
 * ({@code seeds}) each copy gets new seeds, so copies are extra seeds of the same combinations, paired by seed as real
 * seeds are. With {@code combinations} only the first seed's rows are copied and each copy is a new value of an
 * added {@code batch_size} axis (1 to {@code copies}, written into the copied grid file), so the sweep has
 * {@code copies} times the source's combinations, one seed each: what bounds the report's driver side. Usage:
 * {@code SyntheticSweep SOURCE_SWEEP_DIR TARGET_SWEEP_DIR COPIES [seeds|combinations]} (scripts/bench-scale.sh).
 */
public final class SyntheticSweep {

    private SyntheticSweep() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 4) {
            System.err.println("usage: SyntheticSweep SOURCE_SWEEP_DIR TARGET_SWEEP_DIR COPIES [seeds|combinations]");
            System.exit(2);
        }
        String src = args[0];
        String dst = args[1];
        int copies = Integer.parseInt(args[2]);
        String mode = args.length == 4 ? args[3] : "seeds";
        if (!mode.equals("seeds") && !mode.equals("combinations")) {
            System.err.println("SyntheticSweep: mode '" + mode + "' is not supported; choose seeds or combinations");
            System.exit(2);
        }
        boolean combos = mode.equals("combinations");
        SparkSession spark = SparkSessions.create("local[*]", Map.of("spark.ui.enabled", "false"), "synthetic-sweep");
        try {
            spark.range(copies).toDF("copy").createOrReplaceTempView("copies");
            Dataset<Row> trials = spark.read().parquet(src + "/trials");
            long firstSeed = trials.selectExpr("min(seed)").first().getLong(0);
            if (combos) {
                trials = trials.where("seed = " + firstSeed);
            }
            trials.createOrReplaceTempView("t");
            spark.read().parquet(src + "/layer_stats").join(trials.select("trial_id"), "trial_id").createOrReplaceTempView("l");
            spark.read().parquet(src + "/curves").join(trials.select("trial_id"), "trial_id").createOrReplaceTempView("c");
            String newId = "substr(sha2(concat(x.trial_id, ':', copies.copy), 256), 1, 16)";
            Dataset<Row> t = spark.sql("SELECT * FROM t x CROSS JOIN copies");
            String[] cols = spark.table("t").columns();
            StringBuilder sel = new StringBuilder();
            for (String col : cols) {
                String e = switch (col) {
                    case "trial_id" -> newId;
                    case "seed" -> combos ? "x.seed" : "x.seed + copies.copy * 1000003";
                    case "combination_id" -> combos ? "substr(sha2(concat(x.combination_id, ':', copies.copy), 256), 1, 16)"
                            : "x.combination_id";
                    case "batch_size" -> combos ? "CAST(copies.copy + 1 AS INT)" : "x.batch_size";
                    case "flow_log10_delta_init", "flow_log10_delta_train", "flow_log10_grad_init",
                         "flow_log10_grad_train", "final_train_loss", "best_train_loss", "final_test_accuracy" ->
                            "x." + col + " * (1 + 0.01 * (rand(7) - 0.5))";
                    default -> "x." + col;
                };
                sel.append(sel.length() == 0 ? "" : ", ").append(e).append(" AS ").append(col);
            }
            t = spark.sql("SELECT " + sel + " FROM t x CROSS JOIN copies");
            t.write().mode(SaveMode.Overwrite).parquet(dst + "/trials");
            replicate(spark, "l", newId, dst + "/layer_stats");
            replicate(spark, "c", newId, dst + "/curves");
            long n = spark.read().parquet(dst + "/trials").count();
            String grid = Files.readString(Path.of(src, SweepDir.GRID_FILE));
            if (combos) {
                grid = combinationsGrid(grid, firstSeed, copies);
            }
            Files.writeString(Path.of(dst, SweepDir.GRID_FILE), grid);
            Files.writeString(Path.of(dst, SweepDir.MANIFEST_FILE), "{\"sweep\": \"synthetic\", \"trials_written\": " + n
                    + ", \"trials_total\": " + n + "}\n");
            System.out.println("wrote " + n + " trials to " + dst);
        } finally {
            spark.stop();
        }
    }

    /** The source grid with one seed and a batch_size axis of 1 to {@code copies}, in place of its fixed one. */
    static String combinationsGrid(String grid, long seed, int copies) {
        StringBuilder out = new StringBuilder();
        for (String line : grid.split("\n", -1)) {
            if (line.matches("\\s*batch_size:.*")) {
                continue;
            }
            if (line.startsWith("seeds:")) {
                out.append("seeds: [").append(seed).append("]\n");
                continue;
            }
            out.append(line).append("\n");
            if (line.startsWith("axes:")) {
                StringBuilder levels = new StringBuilder();
                for (int i = 1; i <= copies; i++) {
                    levels.append(i == 1 ? "" : ", ").append(i);
                }
                out.append("  batch_size: [").append(levels).append("]\n");
            }
        }
        return out.toString();
    }

    private static void replicate(SparkSession spark, String view, String newId, String path) {
        StringBuilder sel = new StringBuilder();
        for (String col : spark.table(view).columns()) {
            sel.append(sel.length() == 0 ? "" : ", ").append(col.equals("trial_id") ? newId : "x." + col).append(" AS ").append(col);
        }
        spark.sql("SELECT " + sel + " FROM " + view + " x CROSS JOIN copies").write().mode(SaveMode.Overwrite).parquet(path);
    }
}
