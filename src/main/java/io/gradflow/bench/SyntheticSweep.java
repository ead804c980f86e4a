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
 * sweep copied {@code copies} times, each copy with new trial ids and seeds (so copies are extra seeds of the same
 * combinations, paired by seed as real seeds are) and its outcomes jittered by up to 1%. Usage:
 * {@code SyntheticSweep SOURCE_SWEEP_DIR TARGET_SWEEP_DIR COPIES} (scripts/bench-scale.sh runs it).
 */
public final class SyntheticSweep {

    private SyntheticSweep() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SyntheticSweep SOURCE_SWEEP_DIR TARGET_SWEEP_DIR COPIES");
            System.exit(2);
        }
        String src = args[0];
        String dst = args[1];
        int copies = Integer.parseInt(args[2]);
        SparkSession spark = SparkSessions.create("local[*]", Map.of("spark.ui.enabled", "false"), "synthetic-sweep");
        try {
            spark.range(copies).toDF("copy").createOrReplaceTempView("copies");
            spark.read().parquet(src + "/trials").createOrReplaceTempView("t");
            spark.read().parquet(src + "/layer_stats").createOrReplaceTempView("l");
            spark.read().parquet(src + "/curves").createOrReplaceTempView("c");
            String newId = "substr(sha2(concat(x.trial_id, ':', copies.copy), 256), 1, 16)";
            Dataset<Row> t = spark.sql("SELECT * FROM t x CROSS JOIN copies");
            String[] cols = spark.table("t").columns();
            StringBuilder sel = new StringBuilder();
            for (String col : cols) {
                String e = switch (col) {
                    case "trial_id" -> newId;
                    case "seed" -> "x.seed + copies.copy * 1000003";
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
            Files.copy(Path.of(src, SweepDir.GRID_FILE), Path.of(dst, SweepDir.GRID_FILE),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(Path.of(dst, SweepDir.MANIFEST_FILE), "{\"sweep\": \"synthetic\", \"trials_written\": " + n
                    + ", \"trials_total\": " + n + "}\n");
            System.out.println("wrote " + n + " trials to " + dst);
        } finally {
            spark.stop();
        }
    }

    private static void replicate(SparkSession spark, String view, String newId, String path) {
        StringBuilder sel = new StringBuilder();
        for (String col : spark.table(view).columns()) {
            sel.append(sel.length() == 0 ? "" : ", ").append(col.equals("trial_id") ? newId : "x." + col).append(" AS ").append(col);
        }
        spark.sql("SELECT " + sel + " FROM " + view + " x CROSS JOIN copies").write().mode(SaveMode.Overwrite).parquet(path);
    }
}
