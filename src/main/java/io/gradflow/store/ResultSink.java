package io.gradflow.store;

import io.gradflow.trial.TrialResult;

import java.util.List;

/**
 * Where finished trials go. Every runner hands its results to a sink, and the sink makes them durable before it
 * returns their receipts: the executor-side part writer ({@link Parts#sink}) for trials run as Spark tasks, and the
 * same writer on the driver for a runner that trains one trial across the cluster. The driver then records only
 * the receipts, whichever runner produced them.
 */
public interface ResultSink {

    /** Makes {@code results} durable as one unit and returns one receipt per trial, in order. */
    List<TrialReceipt> commit(List<TrialResult> results);
}
