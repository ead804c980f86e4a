package io.gradflow.spark;

import io.gradflow.store.Parts;
import io.gradflow.store.TrialReceipt;
import io.gradflow.trial.Verdict;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the driver keeps about recorded trials: how many, per verdict, and on which executors. Counts only: the rows
 * are in the journal. Receipts arrive from the scheduler thread while the interrupt handler reads the count.
 */
final class Tally {

    private final Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
    private final Set<String> executors = new TreeSet<>();
    private int size;

    /**
     * Counts the journal's trials that belong to the grid and marks them done.
     *
     * @return how many distinct trials of the journal the grid does not have (0 for a resume or an extension; more
     *         when what the trials hash changed underneath the grid text, e.g. a warm start's model file)
     */
    synchronized int addCommitted(Parts.Committed c, Trials trials, boolean[] done) {
        int found = 0;
        for (int i = 0; i < trials.size(); i++) {
            if (java.util.Arrays.binarySearch(c.ids(), trials.id(i)) >= 0) {
                done[i] = true;
                found++;
            }
        }
        size += found;
        // Verdicts and executors of the journal; with --extend every journalled trial is still in the grid.
        c.verdicts().forEach((v, n) -> verdicts.merge(v, n, Integer::sum));
        executors.addAll(c.executors());
        long[] ids = c.ids();
        int distinct = 0;
        for (int i = 0; i < ids.length; i++) {
            if (i == 0 || ids[i] != ids[i - 1]) {
                distinct++;
            }
        }
        return distinct - found;
    }

    /**
     * Counts the journal's trials for a distributed grid, whose ids Spark matched against the grid.
     *
     * @param found how many distinct trials of the journal the grid has
     * @return how many distinct trials of the journal the grid does not have
     */
    synchronized int addCommitted(Parts.Committed c, int found) {
        size += found;
        c.verdicts().forEach((v, n) -> verdicts.merge(v, n, Integer::sum));
        executors.addAll(c.executors());
        return c.trials() - found;
    }

    /**
     * Counts newly committed trials. A retried task's receipts arrive once (Spark delivers one result per task), so
     * nothing here is counted twice.
     */
    synchronized void add(List<TrialReceipt> receipts) {
        for (TrialReceipt r : receipts) {
            verdicts.merge(r.verdict(), 1, Integer::sum);
            executors.add(r.executorId());
        }
        size += receipts.size();
    }

    synchronized int size() {
        return size;
    }

    synchronized Map<Verdict, Integer> verdicts() {
        return new EnumMap<>(verdicts);
    }

    synchronized Set<String> executors() {
        return new TreeSet<>(executors);
    }
}
