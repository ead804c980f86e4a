package io.gradflow.cli;

import io.gradflow.store.Schemas;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Prints the columns of every dataset gradflow writes, as the Markdown tables in the README. */
@Command(name = "schema", mixinStandardHelpOptions = true,
        description = "Print the columns of the trials, layer_stats and curves datasets (Markdown).")
public final class SchemaCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(Schemas.markdown());
        spec.commandLine().getOut().flush();
        return Main.OK;
    }
}
