package io.gradflow.cli;

import io.gradflow.analysis.Durations;
import io.gradflow.analysis.Plural;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.spark.GridEstimate;
import io.gradflow.spark.Interrupts;
import io.gradflow.spark.SweepJob;
import io.gradflow.spark.SweepOutcome;
import io.gradflow.trial.Verdict;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Runs a grid as a Spark sweep and writes its datasets. */
@Command(name = "sweep", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Train every trial of a grid as one Spark task and write trials, layer_stats and curves "
                + "as Parquet under OUT/<sweep name>/.",
                "A sweep records each finished trial at once; after a crash, --resume runs only the missing trials.",
                "Exit codes: 0 every trial has its row (FAILED and DIVERGED rows count), 1 the sweep could not "
                        + "complete, 2 bad input, 130 interrupted (Ctrl-C or SIGTERM; --resume finishes it)."})
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

    @Option(names = "--max-trials", paramLabel = "N", defaultValue = "" + GridEstimate.DEFAULT_MAX_TRIALS,
            description = "Refuse a grid of more than N trials (the count and estimated cost are printed first).")
    long maxTrials;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (overwrite && (resume || extend)) {
            throw new IllegalArgumentException("--overwrite cannot be combined with --resume or --extend: it starts the sweep over");
        }
        SweepJob.Mode mode = extend ? SweepJob.Mode.EXTEND : resume ? SweepJob.Mode.RESUME
                : overwrite ? SweepJob.Mode.OVERWRITE : SweepJob.Mode.NEW;
        if (maxTrials < 1) {
            throw new IllegalArgumentException("--max-trials " + maxTrials + " is not allowed; it must be at least 1");
        }
        // Everything about the grid is checked before Spark starts, its size included: the trials are counted
        // from the axis sizes, so a grid of millions is refused without being built.
        // Warm starts' model files are found and checked against the trials here, before Spark starts (with the
        // Hadoop configuration of the environment; the sweep resolves nothing again).
        GridSpec g = io.gradflow.store.ModelStore.resolve(GridParser.parseFile(grid), new org.apache.hadoop.conf.Configuration(), grid.toString());
        GridEstimate estimate = GridEstimate.of(g);
        if (estimate.trials() > maxTrials) {
            throw new IllegalArgumentException("sweep '" + g.name() + "' has " + (estimate.exact() ? "" : "up to ")
                    + estimate.trials() + " trials, more than --max-trials " + maxTrials + " (" + estimate.costLine()
                    + "); shrink the grid, or pass --max-trials " + estimate.trials() + " to run it anyway");
        }
        // On stdout with the results, not stderr: a bad input found later stays one line on stderr.
        PrintWriter out = spec.commandLine().getOut();
        out.println(GridCommand.countLine(g, estimate));
        out.println(estimate.costLine());
        out.flush();
        try (Interrupts interrupts = Interrupts.install(System.err, estimate.trials())) {
            try {
                return sparkOptions.withSession("gradflow " + g.name(), spark -> {
                    if (interrupts.requested()) {
                        return interrupted(interrupts);
                    }
                    SweepOutcome o = SweepJob.run(spark, g, this.out, mode, quiet ? null : System.err, interrupts);
                    if (o.interrupted()) {
                        return interrupted(interrupts);
                    }
                    return report(out, spark, g, o);
                });
            } catch (Exception e) {
                // A job cancelled by the signal fails wherever the driver was (reading data, writing a dataset):
                // that is the interruption, not an error to show with its stack trace. (Catching Exception, not
                // RuntimeException: the cancelled job's SparkException is checked, thrown unchecked by Scala.)
                if (interrupts.requested()) {
                    return interrupted(interrupts);
                }
                throw e;
            }
        }
    }

    private int interrupted(Interrupts interrupts) {
        interrupts.report();
        return Interrupts.EXIT_CODE;
    }

    private int report(PrintWriter out, SparkSession spark, GridSpec g, SweepOutcome o) {
        if (o.ran() == 0 && o.complete() && o.repaired().isEmpty()) {
            out.printf("nothing to do: sweep '%s' already has a row for each of its %s (%s)%n", g.name(),
                    Plural.of(o.trials(), "trial"), o.directory());
            out.flush();
            return Main.OK;
        }
        for (String r : o.repaired()) {
            out.printf("repaired sweep '%s': %s%n", g.name(), r);
        }
        printSummary(out, spark, g, o);
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
                    + (o.rows() > 0 ? "; the " + Plural.of(o.rows(), "row") + " written so far " + (o.rows() == 1 ? "is" : "are") + " in " + o.directory()
                    + "; rerun with --resume to finish" : ""));
            return Main.INCOMPLETE;
        }
        return Main.OK;
    }

    private static void printSummary(PrintWriter out, SparkSession spark, GridSpec g, SweepOutcome o) {
        List<String> parts = new ArrayList<>();
        for (Verdict v : Verdict.values()) {
            if (o.count(v) > 0) {
                parts.add(o.count(v) + " " + v.name());
            }
        }
        out.printf("%d of %s %s a row (%s); sweep wall time %s%n", o.rows(), Plural.of(o.trials(), "trial"),
                o.rows() == 1 ? "has" : "have", String.join(", ", parts), Durations.clock(o.wallMillis()));
        if (o.rows() == 0) {
            return;
        }
        out.printf("results: %s%n", o.directory());
        out.println("flow = log10(‖δ first block‖/‖δ last block‖): below 0 the gradient shrinks toward the input");
        out.print(TrialTable.read(spark, o.directory(), g, o.rows()));
    }
}
