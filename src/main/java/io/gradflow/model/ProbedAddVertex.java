package io.gradflow.model;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The residual sum {@code x + F(x)} of a residual block, plus a hook: while the network's {@link Probe} is armed
 * it records the norm of the epsilon arriving at the block output, i.e. the gradient in the residual stream.
 */
public class ProbedAddVertex extends org.deeplearning4j.nn.conf.graph.ElementWiseVertex {

    public ProbedAddVertex() {
        super(Op.Add);
    }

    @Override
    public ProbedAddVertex clone() {
        return new ProbedAddVertex();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProbedAddVertex;
    }

    @Override
    public int hashCode() {
        return 0x6164640;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new Impl(graph, name, idx, networkDatatype);
    }

    /** The runtime vertex. */
    public static class Impl extends org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex {
        private Probe probe;
        private int block;

        Impl(ComputationGraph graph, String name, int idx, DataType dataType) {
            super(graph, name, idx, Op.Add, dataType);
        }

        void attach(Probe probe, int block) {
            this.probe = probe;
            this.block = block;
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (probe != null && probe.armed() && epsilon != null) {
                probe.recordDeltaOut(block, epsilon);
            }
            return super.doBackward(tbptt, workspaceMgr);
        }
    }
}
