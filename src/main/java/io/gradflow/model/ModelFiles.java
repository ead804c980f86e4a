package io.gradflow.model;

import io.gradflow.grid.TrialConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.io.Serializable;

/**
 * Where trained networks are read from and written to: the model files of {@code outputs: {models: true}} and the
 * sources of {@code init: pretrained(...)}. The implementation ({@code store.ModelStore}) uses the sweep's Hadoop
 * file system, so executors on a cluster read and write what the driver names; it travels with each task.
 */
public interface ModelFiles extends Serializable {

    /** The network stored at {@code location}, without its updater state; the caller releases it. */
    ComputationGraph read(String location);

    /** Whether {@link #write} stores anything (false when the grid does not ask for model files). */
    boolean writes();

    /**
     * Stores the trained network of trial {@code c} (with its updater state), replacing an earlier copy, so that
     * the file appears complete or not at all.
     *
     * @param verdict the trial's verdict, recorded beside the model
     */
    void write(TrialConfig c, ComputationGraph g, String verdict);
}
