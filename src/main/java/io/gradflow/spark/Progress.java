package io.gradflow.spark;

import io.gradflow.trial.TrialResult;
import io.gradflow.trial.Verdict;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;

/**
 * Terminal progress of a sweep: done/total, failures and divergences, elapsed time and an ETA weighted by the
 * trials' estimated cost (the longest trials run first, so a count-based ETA would be far too pessimistic).
 * Called on the driver as each task's result arrives.
 */
final class Progress {

    private final PrintStream out;
    private final int total;
    private final double totalCost;
    private final long start = System.nanoTime();
    private final boolean tty = System.console() != null;
    private final Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
    private int done;
    private double doneCost;

    Progress(PrintStream out, int total, double totalCost) {
        this.out = out;
        this.total = total;
        this.totalCost = totalCost;
    }

    synchronized void completed(TrialResult r) {
        done++;
        doneCost += r.summary().config().estimatedCost();
        counts.merge(r.summary().verdict(), 1, Integer::sum);
        if (out == null) {
            return;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        String eta = doneCost > 0 && done < total ? clock(elapsed * (totalCost - doneCost) / doneCost) : "-";
        String line = String.format("[gradflow] %d/%d trials done, %d failed, %d diverged, elapsed %s, ETA %s",
                done, total, counts.getOrDefault(Verdict.FAILED, 0), counts.getOrDefault(Verdict.DIVERGED, 0),
                clock(elapsed), eta);
        if (tty) {
            out.print("\r" + line + (done == total ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    synchronized Map<Verdict, Integer> counts() {
        return new EnumMap<>(counts);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
