package io.gradflow.bench;

import io.gradflow.data.Datasets;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;

import java.nio.file.Path;

/**
 * Only the statistics-overhead part of {@code gradflow bench}, for a quick rerun:
 * {@code StatsOverhead <repeats> <grid.yaml>...}.
 */
public final class StatsOverhead {
    public static void main(String[] args) {
        int repeats = Integer.parseInt(args[0]);
        for (int i = 1; i < args.length; i++) {
            GridSpec g = GridParser.parseFile(Path.of(args[i]));
            TrialConfig rep = Bench.overheadTrial(g);
            double[] so = Bench.statsOverhead(rep, Datasets.build(g.dataset(), null), repeats);
            System.out.printf("%s: %s %s depth %d, %d steps: %.0f ms with, %.0f ms without, overhead %.1f%%, "
                            + "inside the statistics code %.1f%% of training (medians of %d pairs; inside: over all runs with statistics)%n", g.name(),
                    rep.activation().key(), rep.init().key(), rep.depth(), rep.steps(), so[0], so[1], so[2], so[3], repeats);
        }
    }
}
