package io.gradflow.cli;

import io.gradflow.store.Schemas;
import io.gradflow.store.SweepDir;
import io.gradflow.store.Table;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Spark SQL over a sweep folder's datasets, each a view named after it. */
@Command(name = "sql", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Run a Spark SQL query over a sweep folder. Every dataset present is a view of its name: "
                + "trials, layer_stats, curves, comparison, effects.",
                "Prints an aligned table, or writes one CSV (with a header) or Parquet file.",
                "Exit codes: 0 done, 2 bad input (not a sweep folder, a query Spark rejects, a bad option)."})
public final class SqlCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "The sweep folder, e.g. results/quick.")
    String dir;

    @Parameters(index = "1", paramLabel = "QUERY", description = "The query, e.g. \"SELECT verdict, count(*) FROM trials GROUP BY verdict\".")
    String query;

    @CommandLine.ArgGroup(exclusive = true)
    Target target;

    static final class Target {
        @Option(names = "--csv", paramLabel = "FILE", description = "Write the result to FILE as CSV with a header instead of printing it.")
        String csv;

        @Option(names = "--parquet", paramLabel = "FILE", description = "Write the result to FILE as one Parquet file instead of printing it.")
        String parquet;
    }

    @Option(names = "--limit", defaultValue = "100", description = "Rows to print (the file options write every row).")
    int limit;

    @CommandLine.Mixin
    SparkOptions sparkOptions = new SparkOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (limit < 1) {
            throw new IllegalArgumentException("--limit " + limit + " is not allowed; it must be at least 1");
        }
        return sparkOptions.withSession("gradflow sql", spark -> {
            registerViews(spark, dir);
            Dataset<Row> result;
            try {
                result = spark.sql(query);
            } catch (Exception e) {
                // Scala does not declare AnalysisException (ParseException is one), so javac cannot catch it by type.
                if (e instanceof AnalysisException) {
                    throw new IllegalArgumentException("the query is not valid: " + firstLine(e.getMessage()));
                }
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (target != null && target.csv != null) {
                long n = writeSingleFile(spark, result, target.csv, "csv");
                out.printf("wrote %d rows to %s%n", n, target.csv);
            } else if (target != null && target.parquet != null) {
                long n = writeSingleFile(spark, result, target.parquet, "parquet");
                out.printf("wrote %d rows to %s%n", n, target.parquet);
            } else {
                print(out, result);
            }
            out.flush();
            return Main.OK;
        });
    }

    /** Registers a temporary view for every dataset the folder has; refuses a folder with a missing or damaged dataset. */
    static List<String> registerViews(SparkSession spark, String dir) {
        Path d = new Path(dir);
        List<String> views = new ArrayList<>();
        try {
            // A missing or truncated dataset is one line of bad input, not Spark's schema-inference trace.
            SweepDir.requireDatasets(dir, spark.sparkContext().hadoopConfiguration());
            FileSystem fs = d.getFileSystem(spark.sparkContext().hadoopConfiguration());
            for (Table<?> t : Schemas.all()) {
                Path p = new Path(d, t.name());
                if (fs.exists(p)) {
                    spark.read().parquet(p.toString()).createOrReplaceTempView(t.name());
                    views.add(t.name());
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("sweep folder '" + dir + "' cannot be read: " + e.getMessage());
        }
        return views;
    }

    private void print(PrintWriter out, Dataset<Row> result) {
        List<Row> rows = result.limit(limit + 1).collectAsList();
        List<String> header = Arrays.asList(result.columns());
        List<List<String>> cells = new ArrayList<>();
        for (Row r : rows.subList(0, Math.min(limit, rows.size()))) {
            List<String> c = new ArrayList<>();
            for (int i = 0; i < header.size(); i++) {
                c.add(cell(r.get(i)));
            }
            cells.add(c);
        }
        out.print(TextTable.render(header, cells));
        out.println(rows.size() > limit ? "(first " + limit + " rows; --limit N for more, --csv FILE for all)"
                : "(" + rows.size() + " row" + (rows.size() == 1 ? "" : "s") + ")");
    }

    static String cell(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof Double d) {
            return Double.isFinite(d) && Math.abs(d) >= 1e-3 && Math.abs(d) < 1e7 || d == 0
                    ? String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", ".0")
                    : String.format(Locale.ROOT, "%.4g", d);
        }
        String s = String.valueOf(v).replace('\n', ' ');
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /** Writes one file: Spark writes a one-partition folder next to it, whose part file is moved into place. */
    private static long writeSingleFile(SparkSession spark, Dataset<Row> result, String file, String format) {
        Path target = new Path(file);
        Path tmp = new Path(target.getParent() == null ? new Path(".") : target.getParent(), "." + target.getName() + ".tmp");
        try {
            FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (fs.exists(target) && fs.getFileStatus(target).isDirectory()) {
                throw new IllegalArgumentException("output file '" + file + "' is a directory");
            }
            Dataset<Row> cached = result.coalesce(1);
            cached.write().mode("overwrite").format(format).option("header", "true").save(tmp.toString());
            FileStatus part = Arrays.stream(fs.listStatus(tmp)).filter(s -> s.getPath().getName().startsWith("part-"))
                    .findFirst().orElseThrow(() -> new IOException("Spark wrote no part file to " + tmp));
            if (fs.exists(target)) {
                fs.delete(target, false);
            }
            if (!fs.rename(part.getPath(), target)) {
                throw new IOException("could not move " + part.getPath() + " to " + target);
            }
            fs.delete(tmp, true);
            return spark.read().format(format).option("header", "true").load(target.toString()).count();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    private static String firstLine(String m) {
        String s = String.valueOf(m).strip();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).strip();
    }
}
