package io.gradflow.bench;

import io.gradflow.grid.Axis;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Cuts a grid down to its first trials, for benchmarks that need a fixed amount of work. */
final class BenchGrids {

    private BenchGrids() {
    }

    /**
     * A grid holding exactly the first {@code n} trials of {@code spec}'s expansion: every later trial is
     * excluded by listing its full combination.
     */
    static GridSpec firstTrials(GridSpec spec, int n) {
        List<TrialConfig> all = Grid.expand(spec);
        Set<String> keep = new HashSet<>();
        all.subList(0, n).forEach(t -> keep.add(t.combinationKey()));
        List<Map<Axis, Object>> exclude = new java.util.ArrayList<>(spec.exclude());
        Set<String> seen = new HashSet<>();
        for (TrialConfig t : all) {
            if (!keep.contains(t.combinationKey()) && seen.add(t.combinationKey())) {
                Map<Axis, Object> point = new LinkedHashMap<>();
                for (Axis a : spec.axes().keySet()) {
                    point.put(a, Grid.valueOf(t, a));
                }
                exclude.add(point);
            }
        }
        return new GridSpec(spec.name() + "-first" + n, spec.seeds(), spec.axes(), spec.fixed(), spec.dataset(),
                spec.schedule(), spec.targetLoss(), spec.health(), exclude, spec.source(), spec.outputs());
    }
}
