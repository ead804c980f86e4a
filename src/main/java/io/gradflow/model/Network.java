package io.gradflow.model;

import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A built, initialized network and the probe wired into its blocks.
 *
 * @param graph the DL4J graph
 * @param probe the recorder of per-block backpropagated gradients and activation statistics
 * @param depth number of hidden blocks
 */
public record Network(ComputationGraph graph, Probe probe, int depth) {

    /** Name of the weight parameter of hidden block {@code block} (1-based) in DL4J's gradient and param tables. */
    public static String weightParam(int block) {
        return NetworkFactory.denseName(block) + "_W";
    }
}
