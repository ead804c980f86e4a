package io.gradflow.analysis;

import java.util.List;
import java.util.Objects;

/**
 * One varied axis of a sweep and its levels in the grid file's order. The first level is the axis' baseline:
 * every effect is "switching from the baseline to this level". List the level you think of as "no remedy"
 * first in the grid (sigmoid before relu, false before true, xavier before he).
 *
 * @param name   the axis' grid name, also its {@code trials} column
 * @param levels the levels as text, in grid order
 */
public record AxisLevels(String name, List<String> levels) implements java.io.Serializable {

    public AxisLevels {
        Objects.requireNonNull(name, "name");
        levels = List.copyOf(levels);
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("axis '" + name + "' has no levels");
        }
    }

    public String baseline() {
        return levels.get(0);
    }

    public int indexOf(String level) {
        int i = levels.indexOf(level);
        return i < 0 ? Integer.MAX_VALUE : i;
    }
}
