package io.gradflow.cli;

import io.gradflow.analysis.Plural;
import io.gradflow.data.DatasetLoader;
import io.gradflow.data.DatasetSpec;
import io.gradflow.grid.Axis;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.spark.GridEstimate;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Dry run: validates a grid, and the file a {@code csv} or {@code parquet} dataset names (it exists, it is in the
 * format the kind says, the label is one of its columns), and lists the trials, without starting Spark.
 */
@Command(name = "grid", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Validate a grid file and its dataset and list its trials (dry run: nothing is trained).",
                "A csv or parquet dataset must exist, be in that format and have the label column; a relative "
                        + "dataset.path is resolved against the current directory.",
                "Exit codes: 0 valid, 2 bad input."})
public final class GridCommand implements Callable<Integer> {

    @Option(names = "--grid", required = true, description = "Grid file (YAML).")
    Path grid;

    @Option(names = "--limit", defaultValue = "200", description = "Print at most this many trials.")
    int limit;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // Warm starts are resolved as the sweep resolves them: their model files are checked, and the ids shown are
        // the ids the sweep gives (they hash the models' weights).
        GridSpec g = io.gradflow.store.ModelStore.resolve(GridParser.parseFile(grid), new Configuration(), grid.toString());
        // Counted from the axis sizes: a grid of millions is described without being built.
        GridEstimate e = GridEstimate.of(g);
        PrintWriter out = spec.commandLine().getOut();
        DatasetSpec d = g.dataset();
        // The same check the sweep makes before Spark reads the file, so a dry run catches a bad dataset too.
        String data = d.kind().isFile()
                ? describe(d, DatasetLoader.check(d, new Configuration()))
                : d.canonical();
        out.println(countLine(g, e));
        out.println(e.costLine());
        out.printf("dataset: %s%n", data);
        List<String> header = new ArrayList<>(List.of("trial_id"));
        g.axes().keySet().forEach(a -> header.add(a.key()));
        header.add("seed");
        List<List<String>> rows = new ArrayList<>();
        Iterator<TrialConfig> it = Grid.iterate(g);
        for (int i = 0; i < limit && it.hasNext(); i++) {
            TrialConfig t = it.next();
            List<String> row = new ArrayList<>(List.of(t.trialId()));
            for (Axis a : g.axes().keySet()) {
                row.add(Axis.render(Grid.valueOf(t, a)));
            }
            row.add(Long.toString(t.seed()));
            rows.add(row);
        }
        out.print(TextTable.render(header, rows));
        if (e.trials() > rows.size()) {
            out.printf("... and %s%d more (raise --limit to see them)%n", e.exact() ? "" : "at most ", e.trials() - rows.size());
        }
        out.flush();
        return Main.OK;
    }

    private static String describe(DatasetSpec d, DatasetLoader.Checked c) {
        return d.kind().key() + " " + c.qualifiedPath() + ", label '" + d.label() + "', "
                + Plural.of(c.columns().size() - 1, "feature column");
    }

    /** {@code grid 'quick': 24 trials (24 combinations × 1 seed)}, with the excluded count when there is one. */
    static String countLine(GridSpec g, GridEstimate e) {
        int seeds = g.seeds().size();
        String most = e.exact() ? "" : "at most ";
        return String.format("grid '%s': %s%s (%s%s × %s%s)", g.name(), most, Plural.of(e.trials(), "trial"), most,
                Plural.of(e.trials() / seeds, "combination"), Plural.of(seeds, "seed"),
                g.exclude().isEmpty() || !e.exact() ? "" : ", after " + (g.fullSize() - e.trials()) + " excluded");
    }
}
