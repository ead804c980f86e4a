package io.gradflow.bench;

import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.RunOptions;
import io.gradflow.trial.TrialResult;
import io.gradflow.trial.TrialRunner;

import java.nio.file.Path;
import java.util.List;

/** Times the trials of a grid one after another on this thread: {@code TrialTiming <grid.yaml> [limit]}. */
public final class TrialTiming {
    public static void main(String[] args) {
        var spec = GridParser.parseFile(Path.of(args[0]));
        int limit = args.length > 1 ? Integer.parseInt(args[1]) : Integer.MAX_VALUE;
        Dataset data = Datasets.build(spec.dataset(), null);
        List<TrialConfig> trials = Grid.expand(spec);
        for (TrialConfig c : trials.subList(0, Math.min(limit, trials.size()))) {
            TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
            var s = r.summary();
            System.out.printf("%-8s %-7s bn=%-5s res=%-5s depth=%d wall=%d train=%d stats=%d ms/step=%.2f %s%n",
                    c.activation().key(), c.init().key(), c.batchnorm(), c.residual(), c.depth(), s.wallTimeMs(),
                    s.trainTimeMs(), s.statsTimeMs(), (double) s.trainTimeMs() / Math.max(1, s.stepsCompleted()), s.verdict());
        }
    }
}
