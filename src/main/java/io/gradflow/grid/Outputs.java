package io.gradflow.grid;

import java.io.Serializable;

/**
 * What a sweep writes besides its datasets and report: the grid file's {@code outputs:} section.
 *
 * @param models whether each trial that trained to its end (or stopped early) writes its network as a DL4J model
 *               file, {@code <sweep>/models/<trial_id>.zip} ({@code ModelSerializer}, restorable with
 *               {@code ModelSerializer.restoreComputationGraph} and gradflow's jar on the classpath), with a
 *               {@code <trial_id>.json} beside it naming its configuration; off by default. A later sweep starts
 *               from them with {@code init: pretrained(...)}. It does not change what a trial computes, so it is not
 *               part of the trial id.
 */
public record Outputs(boolean models) implements Serializable {

    /** Nothing beyond the datasets and the report. */
    public static final Outputs NONE = new Outputs(false);
}
