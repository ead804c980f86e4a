package io.gradflow.cli;

import io.gradflow.trial.OpenBlasCore;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code gradflow} command line. */
@Command(name = "gradflow", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Measures vanishing and exploding gradients, and their remedies, as a Spark sweep of DL4J trainings.",
        subcommands = {SweepCommand.class, GridCommand.class, SchemaCommand.class, ReportCommand.class, SqlCommand.class,
                TheoryCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code: every trial has its row. */
    public static final int OK = 0;
    /** Exit code: the sweep could not complete. */
    public static final int INCOMPLETE = 1;
    /** Exit code: bad input (grid, data, output path, options). */
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: sweep, grid, schema, report or sql");
    }

    /** The command line with gradflow's exit-code mapping; tests call {@code execute} on it. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException) {
                line.getErr().println("gradflow: " + ex.getMessage());
                return BAD_INPUT;
            }
            line.getErr().println("gradflow: " + ex);
            ex.printStackTrace(line.getErr());
            return INCOMPLETE;
        });
        return cl;
    }

    public static void main(String[] args) {
        // OpenBLAS reads its kernel choice once, when it loads: before anything can load ND4J.
        OpenBlasCore.configure();
        System.exit(commandLine().execute(args));
    }
}
