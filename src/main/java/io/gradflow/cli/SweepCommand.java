package io.gradflow.cli;

import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
import io.gradflow.trial.Verdict;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Runs a grid as a Spark sweep and writes its datasets. */
@Command(name = "sweep", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Train every trial of a grid as one Spark task and write trials, layer_stats and curves "
                + "as Parquet under OUT/<sweep name>/.",
                "A sweep records each finished trial at once; after a crash, --resume runs only the missing trials.",
                "Exit codes: 0 every trial has its row (FAILED and DIVERGED rows count), 1 the sweep could not "
                        + "complete, 2 bad input."})
public final class SweepCommand implements Callable<Integer> {

    @Option(names = "--grid", required = true, description = "Grid file (YAML), e.g. conf/grids/quick.yaml.")
    Path grid;

    @Option(names = "--out", defaultValue = "results", description = "Parent folder of the sweep folder; any Hadoop path (file:, hdfs:, s3a:).")
    String out;

    @CommandLine.Mixin
    SparkOptions sparkOptions = new SparkOptions();

    @Option(names = "--overwrite", description = "Replace an existing sweep folder of the same name (only once the new sweep is written).")
    boolean overwrite;

    @Option(names = "--resume", description = "Finish an interrupted sweep: run only the trials without a row. The grid must be unchanged.")
    boolean resume;

    @Option(names = "--extend", description = "Like --resume, but the grid may add trials (new axis values or seeds); trials already done are kept.")
    boolean extend;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (overwrite && (resume || extend)) {
            throw new IllegalArgumentException("--overwrite cannot be combined with --resume or --extend: it starts the sweep over");
        }
        SweepJob.Mode mode = extend ? SweepJob.Mode.EXTEND : resume ? SweepJob.Mode.RESUME
                : overwrite ? SweepJob.Mode.OVERWRITE : SweepJob.Mode.NEW;
        // Everything about the grid is checked before Spark starts.
        GridSpec g = GridParser.parseFile(grid);
        PrintWriter out = spec.commandLine().getOut();
        return sparkOptions.withSession("gradflow " + g.name(), spark -> {
            SweepOutcome o = SweepJob.run(spark, g, this.out, mode, quiet ? null : System.err);
            if (o.ran() == 0 && o.complete()) {
                out.printf("nothing to do: sweep '%s' already has a row for each of its %d trials (%s)%n", g.name(),
                        o.trials(), o.directory());
                out.flush();
                return Main.OK;
            }
            printSummary(out, spark, o);
            if (o.summary() != null) {
                out.println();
                out.print(o.summary());
            }
            out.flush();
            if (o.analysisError() != null) {
                spec.commandLine().getErr().println("gradflow: every trial has its row, but the comparison and report "
                        + "could not be built (" + o.analysisError() + "); rebuild them with: gradflow report " + o.directory());
            }
            if (!o.complete()) {
                spec.commandLine().getErr().println("gradflow: the sweep did not complete: " + o.error()
                        + (o.rows() > 0 ? "; the " + o.rows() + " rows written so far are in " + o.directory()
                        + "; rerun with --resume to finish" : ""));
                return Main.INCOMPLETE;
            }
            return Main.OK;
        });
    }

    private static void printSummary(PrintWriter out, SparkSession spark, SweepOutcome o) {
        List<String> parts = new ArrayList<>();
        for (Verdict v : Verdict.values()) {
            if (o.count(v) > 0) {
                parts.add(o.count(v) + " " + v.name());
            }
        }
        out.printf("%d of %d trials have a row (%s) in %.1f s%n", o.rows(), o.trials(), String.join(", ", parts),
                o.wallMillis() / 1000.0);
        if (o.rows() == 0) {
            return;
        }
        out.printf("results: %s%n", o.directory());
        List<Row> rows = spark.read().parquet(o.directory() + "/trials")
                .selectExpr("activation", "init", "batchnorm", "residual_form", "depth", "seed", "verdict",
                        "flow_log10_delta_init", "flow_log10_delta_train", "test_accuracy", "wall_time_ms", "clip")
                .orderBy("activation", "init", "batchnorm", "residual_form", "clip", "depth", "seed")
                .limit(60).collectAsList();
        List<String> header = List.of("activation", "init", "bn", "res", "clip", "depth", "seed", "verdict",
                "flow_init", "flow_train", "test_acc", "secs");
        List<List<String>> cells = new ArrayList<>();
        for (Row r : rows) {
            String res = switch (r.getString(3)) {
                case "false" -> "no";
                case "true" -> "yes";
                default -> r.getString(3);
            };
            cells.add(List.of(r.getString(0), r.getString(1), r.getBoolean(2) ? "yes" : "no", res, r.getString(11),
                    Integer.toString(r.getInt(4)), Long.toString(r.getLong(5)),
                    r.getString(6), num(r, 7), num(r, 8), num(r, 9), String.format(Locale.ROOT, "%.1f", r.getLong(10) / 1000.0)));
        }
        out.println("flow = log10(‖δ first block‖/‖δ last block‖): below 0 the gradient shrinks toward the input");
        out.print(TextTable.render(header, cells));
        if (o.rows() > 60) {
            out.printf("(first 60 of %d trials)%n", o.rows());
        }
    }

    private static String num(Row r, int i) {
        return r.isNullAt(i) ? "-" : String.format(Locale.ROOT, "%.2f", r.getDouble(i));
    }
}
