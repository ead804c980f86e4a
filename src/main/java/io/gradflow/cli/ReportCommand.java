package io.gradflow.cli;

import io.gradflow.analysis.Analysis;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** Rebuilds comparison, effects and report.html of a finished sweep and prints the terminal summary. */
@Command(name = "report", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Rebuild the comparison and effects datasets and report.html of a sweep folder (replacing "
                + "earlier ones) and print the top combinations and the largest effects.",
                "Exit codes: 0 done, 1 failure while writing, 2 bad input (not a sweep folder)."})
public final class ReportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SWEEP_DIR", description = "The sweep folder, e.g. results/quick (any Hadoop path).")
    String dir;

    @CommandLine.Mixin
    SparkOptions sparkOptions = new SparkOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return sparkOptions.withSession("gradflow report", spark -> {
            Analysis.Result r = Analysis.run(spark, dir);
            spec.commandLine().getErr().println("[gradflow] analysis: " + r.phaseLine());
            spec.commandLine().getOut().print(Analysis.terminalSummary(r));
            spec.commandLine().getOut().flush();
            return Main.OK;
        });
    }
}
