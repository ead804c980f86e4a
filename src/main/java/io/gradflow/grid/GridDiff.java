package io.gradflow.grid;

import io.gradflow.data.DatasetSpec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What changed between the grid a sweep started with and the grid given to resume it. Resuming is only exact
 * when nothing changed; a change that merely adds trials (new axis values, new seeds) can extend the sweep,
 * because every trial already done is still a trial of the new grid with the same id and the same judgement.
 *
 * @param changes       one readable line per changed setting, empty when the grids are the same
 * @param extensionOnly true when every trial of the old grid is a trial of the new one, judged the same way
 */
public record GridDiff(List<String> changes, boolean extensionOnly) {

    public GridDiff {
        changes = List.copyOf(changes);
    }

    public boolean same() {
        return changes.isEmpty();
    }

    public static GridDiff compare(GridSpec old, GridSpec neu) {
        List<String> changes = new ArrayList<>();
        if (!old.seeds().equals(neu.seeds())) {
            changes.add("seeds changed from " + old.seeds() + " to " + neu.seeds());
        }
        Set<Axis> axes = new java.util.LinkedHashSet<>(old.axes().keySet());
        axes.addAll(neu.axes().keySet());
        for (Axis a : axes) {
            List<Object> ov = old.axes().get(a);
            List<Object> nv = neu.axes().get(a);
            if (!Objects.equals(ov, nv)) {
                changes.add("axes." + a.key() + " changed from " + render(ov, old.fixedOrDefault(a))
                        + " to " + render(nv, neu.fixedOrDefault(a)));
            }
        }
        for (Axis a : Axis.values()) {
            if (old.axes().containsKey(a) || neu.axes().containsKey(a)) {
                continue;
            }
            Object o = old.fixedOrDefault(a);
            Object n = neu.fixedOrDefault(a);
            if (!o.equals(n)) {
                changes.add("training." + a.key() + " changed from " + Axis.render(o) + " to " + Axis.render(n));
            }
        }
        DatasetSpec od = old.dataset();
        DatasetSpec nd = neu.dataset();
        if (!od.canonical().equals(nd.canonical())) {
            changes.add("dataset changed from " + od.canonical() + " to " + nd.canonical());
        }
        if (!old.schedule().equals(neu.schedule())) {
            changes.add("statistics changed from " + old.schedule() + " to " + neu.schedule());
        }
        boolean judgedTheSame = true;
        if (Double.compare(old.targetLoss(), neu.targetLoss()) != 0) {
            changes.add("training.target_loss changed from " + old.targetLoss() + " to " + neu.targetLoss());
            judgedTheSame = false;
        }
        if (!old.health().equals(neu.health())) {
            changes.add("health changed from " + old.health() + " to " + neu.health());
            judgedTheSame = false;
        }
        if (!old.exclude().equals(neu.exclude())) {
            changes.add("exclude changed from " + old.exclude().size() + " to " + neu.exclude().size() + " entries");
        }
        Set<String> newIds = new HashSet<>();
        Grid.expand(neu).forEach(t -> newIds.add(t.trialId()));
        boolean subset = Grid.expand(old).stream().allMatch(t -> newIds.contains(t.trialId()));
        return new GridDiff(changes, judgedTheSame && subset);
    }

    private static String render(List<Object> values, Object fixed) {
        if (values == null) {
            return Axis.render(fixed) + " (not an axis)";
        }
        return "[" + String.join(", ", values.stream().map(Axis::render).toList()) + "]";
    }

}
