package io.gradflow.bench;

import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.NativeThreads;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;

import java.nio.file.Path;
import java.util.List;

/**
 * Runs every trial of a grid in this JVM, without Spark, for several rounds, and prints per round the Σ of the
 * trials' wall, training and statistics times: {@code TrialLoop <grid.yaml> [rounds]}. The later rounds show what a
 * warm executor pays per trial; run it under JFR ({@code -XX:StartFlightRecording}) to see where that goes.
 */
public final class TrialLoop {
    public static void main(String[] args) {
        GridSpec g = GridParser.parseFile(Path.of(args[0]));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        NativeThreads.limitToOne();
        Dataset data = Datasets.build(g.dataset(), null);
        List<TrialConfig> trials = Grid.expand(g);
        for (int r = 0; r < rounds; r++) {
            long wall = 0;
            long train = 0;
            long stats = 0;
            long t0 = System.nanoTime();
            for (TrialConfig c : trials) {
                TrialResult res = TrialRunner.run(c, data, RunOptions.standalone());
                wall += res.summary().wallTimeMs();
                train += res.summary().trainTimeMs();
                stats += res.summary().statsTimeMs();
            }
            System.out.printf("round %d: %d trials, loop %.0f ms, Σ wall %d, train %d, stats %d, other %d%n", r,
                    trials.size(), (System.nanoTime() - t0) / 1e6, wall, train, stats, wall - train - stats);
        }
    }
}
