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

import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Prints, per trial of a grid, a digest of everything a trial measured (every summary field but the times and
 * provenance, every layer-stat and curve row): {@code TrialDigest <grid.yaml>}. Two builds that print the same
 * lines computed the same bits; used to check that a speed change left the results alone (BENCHMARKS.md).
 */
public final class TrialDigest {
    public static void main(String[] args) throws Exception {
        GridSpec g = GridParser.parseFile(Path.of(args[0]));
        NativeThreads.limitToOne();
        Dataset data = Datasets.build(g.dataset(), null);
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        for (TrialConfig c : Grid.expand(g)) {
            TrialResult r = TrialRunner.run(c, data, RunOptions.standalone());
            StringBuilder b = new StringBuilder();
            for (RecordComponent rc : r.summary().getClass().getRecordComponents()) {
                String name = rc.getName().toLowerCase(java.util.Locale.ROOT);
                if (name.contains("time") || name.contains("ms") || name.contains("prov")) {
                    continue;
                }
                b.append(rc.getName()).append('=').append(rc.getAccessor().invoke(r.summary())).append('\n');
            }
            r.layerStats().forEach(s -> b.append(s).append('\n'));
            r.curve().forEach(p -> b.append(p).append('\n'));
            byte[] d = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            all.update(d);
            System.out.println(c.trialId() + " " + HexFormat.of().formatHex(d).substring(0, 16) + " " + r.summary().verdict());
        }
        System.out.println("all " + HexFormat.of().formatHex(all.digest()).substring(0, 16));
    }
}
