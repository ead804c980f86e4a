package io.gradflow.spark;

import io.gradflow.grid.Grid;
import io.gradflow.grid.GridSpec;
import io.gradflow.store.Parts;

import java.util.Arrays;

/**
 * The driver's view of a grid's trials: for each, its raw grid index (from which a task rebuilds it), its trial id
 * as a number, its cost-model estimate and its estimated seconds, in primitive arrays. That is 32 bytes per trial
 * however large the configuration, and it is all the scheduler needs: ids and costs are computed once here, so
 * ordering compares numbers and never hashes a configuration. Used below {@link DistributedGrid#CONF} trials; a larger
 * grid is walked by the executors instead.
 */
final class Trials {

    private final long[] raw;
    private final long[] ids;
    private final double[] cost;
    private final double[] seconds;

    private Trials(long[] raw, long[] ids, double[] cost, double[] seconds) {
        this.raw = raw;
        this.ids = ids;
        this.cost = cost;
        this.seconds = seconds;
    }

    /** Walks the grid once, keeping four numbers per trial. */
    static Trials of(GridSpec spec) {
        long n = Grid.count(spec);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("grid '" + spec.name() + "' has " + n + " trials; a sweep holds at most "
                    + (Integer.MAX_VALUE - 8));
        }
        int cap = (int) Math.max(16, n);
        long[][] r = {new long[cap]};
        long[][] id = {new long[cap]};
        double[][] c = {new double[cap]};
        double[][] s = {new double[cap]};
        int[] k = {0};
        Grid.forEachIndexed(spec, (rawIndex, t) -> {
            if (k[0] == r[0].length) {
                // Grid.count is exact unless exclusions name too many axes; grow for that case.
                int m = r[0].length * 2;
                r[0] = Arrays.copyOf(r[0], m);
                id[0] = Arrays.copyOf(id[0], m);
                c[0] = Arrays.copyOf(c[0], m);
                s[0] = Arrays.copyOf(s[0], m);
            }
            r[0][k[0]] = rawIndex;
            id[0][k[0]] = Parts.id(t.trialId());
            c[0][k[0]] = t.estimatedCost();
            s[0][k[0]] = GridEstimate.seconds(t);
            k[0]++;
        });
        int size = k[0];
        return new Trials(Arrays.copyOf(r[0], size), Arrays.copyOf(id[0], size), Arrays.copyOf(c[0], size),
                Arrays.copyOf(s[0], size));
    }

    int size() {
        return raw.length;
    }

    long raw(int i) {
        return raw[i];
    }

    long id(int i) {
        return ids[i];
    }

    double cost(int i) {
        return cost[i];
    }

    double seconds(int i) {
        return seconds[i];
    }

    /** The positions whose flag in {@code done} is false, in grid order. */
    int[] missing(boolean[] done) {
        int n = 0;
        for (boolean d : done) {
            n += d ? 0 : 1;
        }
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < done.length; i++) {
            if (!done[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** {@code which} sorted longest first (estimated seconds), ties by trial id: both precomputed numbers. */
    int[] longestFirst(int[] which) {
        // Both keys are precomputed numbers: the comparator never hashes or builds a configuration.
        Integer[] boxed = new Integer[which.length];
        for (int i = 0; i < which.length; i++) {
            boxed[i] = which[i];
        }
        Arrays.sort(boxed, (a, b) -> {
            int c = Double.compare(seconds[b], seconds[a]);
            return c != 0 ? c : Long.compareUnsigned(ids[a], ids[b]);
        });
        int[] out = new int[which.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = boxed[i];
        }
        return out;
    }
}
