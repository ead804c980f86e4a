package io.gradflow.grid;

import io.gradflow.data.DatasetSpec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A validated grid file: the axes to cross, the fixed settings, the seeds, the data, the statistics schedule,
 * the health thresholds and the partial combinations to leave out. Built by {@link GridParser}; expanded to
 * trials by {@link Grid#expand}.
 *
 * @param name       the sweep name, used as the output folder name
 * @param seeds      the seeds every combination is trained with
 * @param axes       the varied settings, in file order, each with its typed values in file order
 * @param fixed      the settings given once under {@code training:}
 * @param dataset    the data
 * @param schedule   when statistics are sampled
 * @param targetLoss loss whose first crossing gives steps_to_target
 * @param health     verdict thresholds
 * @param exclude    partial combinations to leave out; a trial matching every entry of one map is dropped
 * @param source     the file text as given, stored next to the results
 * @param outputs    what the sweep writes besides its datasets (model files)
 */
public record GridSpec(String name, List<Long> seeds, Map<Axis, List<Object>> axes, Map<Axis, Object> fixed,
                       DatasetSpec dataset, StatsSchedule schedule, double targetLoss, HealthThresholds health,
                       List<Map<Axis, Object>> exclude, String source, Outputs outputs)
        implements java.io.Serializable {

    public GridSpec {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("name '" + name + "' is not allowed; use letters, digits, '.', '_' and '-' (it names the output folder)");
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("seeds is empty; give at least one seed, e.g. seeds: [1, 2, 3]");
        }
        seeds = List.copyOf(seeds);
        axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
        fixed = Collections.unmodifiableMap(new LinkedHashMap<>(fixed));
        exclude = List.copyOf(exclude);
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(health, "health");
        outputs = outputs == null ? Outputs.NONE : outputs;
    }

    /** This grid with other axis values and fixed settings (e.g. warm starts resolved to their model files). */
    public GridSpec withSettings(Map<Axis, List<Object>> newAxes, Map<Axis, Object> newFixed) {
        return new GridSpec(name, seeds, newAxes, newFixed, dataset, schedule, targetLoss, health, exclude, source, outputs);
    }

    /** The value of an axis for settings that are not varied: fixed, else the default. */
    public Object fixedOrDefault(Axis axis) {
        Object v = fixed.get(axis);
        return v != null ? v : axis.defaultValue();
    }

    /** The number of combinations before exclusion, times the seeds (Long.MAX_VALUE if that overflows). */
    public long fullSize() {
        long n = seeds.size();
        for (List<Object> values : axes.values()) {
            n = Grid.saturatedProduct(n, values.size());
        }
        return n;
    }

    /** The axes' names in file order. */
    public List<String> axisNames() {
        List<String> names = new ArrayList<>();
        axes.keySet().forEach(a -> names.add(a.key()));
        return names;
    }
}
