package io.gradflow.cli;

import io.gradflow.grid.Axis;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Dry run: validates a grid and lists its trials without starting Spark. */
@Command(name = "grid", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Validate a grid file and list its trials (dry run: nothing is trained).")
public final class GridCommand implements Callable<Integer> {

    @Option(names = "--grid", required = true, description = "Grid file (YAML).")
    Path grid;

    @Option(names = "--limit", defaultValue = "200", description = "Print at most this many trials.")
    int limit;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        GridSpec g = GridParser.parseFile(grid);
        List<TrialConfig> trials = Grid.expand(g);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("grid '%s': %d trials (%d combinations × %d seed%s%s)%n", g.name(), trials.size(),
                trials.size() / g.seeds().size(), g.seeds().size(), g.seeds().size() == 1 ? "" : "s",
                g.exclude().isEmpty() ? "" : ", after " + (g.fullSize() - trials.size()) + " excluded");
        List<String> header = new ArrayList<>(List.of("trial_id"));
        g.axes().keySet().forEach(a -> header.add(a.key()));
        header.add("seed");
        List<List<String>> rows = new ArrayList<>();
        for (TrialConfig t : trials.subList(0, Math.min(limit, trials.size()))) {
            List<String> row = new ArrayList<>(List.of(t.trialId()));
            for (Axis a : g.axes().keySet()) {
                row.add(Axis.render(Grid.valueOf(t, a)));
            }
            row.add(Long.toString(t.seed()));
            rows.add(row);
        }
        out.print(TextTable.render(header, rows));
        if (trials.size() > limit) {
            out.printf("... and %d more (raise --limit to see them)%n", trials.size() - limit);
        }
        out.flush();
        return Main.OK;
    }
}
