package io.gradflow.grid;

import java.io.Serializable;
import java.util.TreeSet;

/**
 * When a trial samples its per-block statistics. {@code log2} samples steps 0, 1, 2, 4, 8, ... and the last
 * step, so the cost stays logarithmic in the step count; {@code every} samples step 0, every {@code every}-th
 * step and the last. Step 0 is the first training step, whose gradients are those of the initial weights.
 *
 * @param kind       {@code log2} or {@code every}
 * @param every      the interval of {@code every}; ignored (0) for {@code log2}
 * @param curveEvery the interval of the loss curve: every {@code curveEvery}-th step's minibatch loss is kept
 */
public record StatsSchedule(String kind, int every, int curveEvery) implements Serializable {

    public StatsSchedule {
        if (!"log2".equals(kind) && !"every".equals(kind)) {
            throw new IllegalArgumentException("statistics.schedule '" + kind + "' is not supported; choose one of log2, every");
        }
        if ("every".equals(kind) && every < 1) {
            throw new IllegalArgumentException("statistics.every " + every + " is not allowed; it must be at least 1");
        }
        if ("log2".equals(kind)) {
            every = 0;
        }
        if (curveEvery < 1) {
            throw new IllegalArgumentException("statistics.curve_every " + curveEvery + " is not allowed; it must be at least 1");
        }
    }

    public static StatsSchedule log2() {
        return new StatsSchedule("log2", 0, 1);
    }

    /** The sampled steps of a run of {@code totalSteps} steps, ascending, always including 0 and the last. */
    public int[] steps(int totalSteps) {
        TreeSet<Integer> s = new TreeSet<>();
        s.add(0);
        if ("log2".equals(kind)) {
            for (long p = 1; p < totalSteps; p *= 2) {
                s.add((int) p);
            }
        } else {
            for (long p = every; p < totalSteps; p += every) {
                s.add((int) p);
            }
        }
        s.add(totalSteps - 1);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    public String canonical() {
        return "log2".equals(kind) ? "log2" : "every(" + every + ")";
    }
}
