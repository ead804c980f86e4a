package io.gradflow.spark;

import io.gradflow.analysis.Durations;
import io.gradflow.store.TrialReceipt;
import io.gradflow.trial.Verdict;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Terminal progress of a sweep: done/total, failures and divergences, elapsed time and an ETA weighted by the
 * trials' estimated cost (the longest trials run first, so a count-based ETA would be far too pessimistic).
 * Called on the driver as each task's result arrives. "elapsed" is the sweep's wall-time clock: it counts from
 * the same start as the summary, the manifest and the report (the start of {@link SweepJob#run}).
 */
final class Progress {

    private final PrintStream out;
    private final int total;
    private final double totalCost;
    private final long startMillis;
    private final java.util.function.LongSupplier clock;
    private final boolean tty = System.console() != null;
    private final Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
    private int done;
    private double doneCost;

    /**
     * @param out         where lines go (null for none)
     * @param total       trials to run
     * @param totalCost   their summed estimated cost
     * @param startMillis the sweep's start (epoch milliseconds), from which "elapsed" counts
     */
    Progress(PrintStream out, int total, double totalCost, long startMillis) {
        this(out, total, totalCost, startMillis, System::currentTimeMillis);
    }

    /** The same with the clock that "now" is read from (epoch milliseconds): a fixed one makes lines reproducible. */
    Progress(PrintStream out, int total, double totalCost, long startMillis, java.util.function.LongSupplier clock) {
        this.out = out;
        this.total = total;
        this.totalCost = totalCost;
        this.startMillis = startMillis;
        this.clock = clock;
    }

    /** Counts a task's trials and prints one line for all of them: a batch of 600 tiny trials is one line. */
    synchronized String recordAll(List<TrialReceipt> receipts) {
        if (receipts.isEmpty()) {
            return null;
        }
        for (int i = 0; i < receipts.size() - 1; i++) {
            count(receipts.get(i).estimatedCost(), receipts.get(i).verdict());
        }
        TrialReceipt last = receipts.get(receipts.size() - 1);
        return record(last.estimatedCost(), last.verdict());
    }

    private void count(double cost, Verdict verdict) {
        done++;
        doneCost += cost;
        counts.merge(verdict, 1, Integer::sum);
    }

    /** Counts one finished trial and prints (and returns) its progress line. */
    synchronized String record(double cost, Verdict verdict) {
        count(cost, verdict);
        long elapsed = clock.getAsLong() - startMillis;
        String eta = doneCost > 0 && done < total ? Durations.clock(Math.round(elapsed * (totalCost - doneCost) / doneCost)) : "-";
        String line = String.format("[gradflow] %d/%d trials done, %d failed, %d diverged, elapsed %s, ETA %s",
                done, total, counts.getOrDefault(Verdict.FAILED, 0), counts.getOrDefault(Verdict.DIVERGED, 0),
                Durations.clock(elapsed), eta);
        if (out == null) {
            return line;
        }
        if (tty) {
            out.print("\r" + line + (done == total ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
        return line;
    }

    synchronized Map<Verdict, Integer> counts() {
        return new EnumMap<>(counts);
    }
}
