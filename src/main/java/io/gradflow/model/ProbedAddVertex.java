package io.gradflow.model;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The residual sum {@code x + F(x)} of a residual block, plus a hook: while the network's {@link Probe} is armed
 * it records the norm of the epsilon arriving at the block output, i.e. the gradient in the residual stream.
 *
 * <p>DL4J's {@code ElementWiseVertex} computes the sum as an assign and an add and its backward pass as one copy of
 * the epsilon per input, four ND4J ops per block and step, which were about a sixth of a 64-wide residual step
 * (JFR, BENCHMARKS.md). For two row-major inputs of the network's type and equal shapes this vertex does the same
 * with direct BLAS calls ({@link DirectBlas#copy}, {@link DirectBlas#addTo}): the same values, bit for bit (a copy,
 * and correctly rounded sums). Anything else (broadcasting, other types or layouts) takes DL4J's code.
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
        public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
            if (!canDoForward() || inputs.length != 2 || !direct(inputs[0]) || !direct(inputs[1])
                    || !inputs[0].equalShapes(inputs[1])) {
                return super.doForward(training, workspaceMgr);
            }
            INDArray sum = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, inputs[0].shape(), 'c');
            add(inputs[0], inputs[1], sum);
            return sum;
        }

        /** {@code sum = a + b} for dense row-major arrays of the network's type: this vertex's forward pass. */
        void add(INDArray a, INDArray b, INDArray sum) {
            int n = (int) sum.length();
            DirectBlas.copy(dataType, n, DirectBlas.address(a), DirectBlas.address(sum));
            DirectBlas.addTo(dataType, n, DirectBlas.address(b), DirectBlas.address(sum));
        }

        /** Records ε at the block's output (the residual stream) on armed steps, as {@link #doBackward} does. */
        void record(INDArray epsilon) {
            if (probe != null && probe.armed()) {
                probe.recordDeltaOut(block, epsilon);
            }
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (probe != null && probe.armed() && epsilon != null) {
                probe.recordDeltaOut(block, epsilon);
            }
            if (!canDoBackward() || inputs == null || inputs.length != 2 || !direct(epsilon)
                    || !epsilon.equalShapes(inputs[0]) || !epsilon.equalShapes(inputs[1])) {
                return super.doBackward(tbptt, workspaceMgr);
            }
            // ∂(a + b)/∂a = ∂(a + b)/∂b = 1: each input gets its own copy of the epsilon, as in DL4J.
            INDArray[] out = new INDArray[2];
            int n = (int) epsilon.length();
            for (int i = 0; i < 2; i++) {
                out[i] = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, epsilon.shape(), 'c');
                DirectBlas.copy(dataType, n, DirectBlas.address(epsilon), DirectBlas.address(out[i]));
            }
            return new Pair<>(null, out);
        }

        /** A dense row-major array of the network's type, which the direct calls can take. */
        private boolean direct(INDArray a) {
            return a != null && DirectBlas.supported(dataType) && a.dataType() == dataType && a.rank() == 2
                    && Arrays2.rowMajor(a) && a.length() <= Integer.MAX_VALUE && !a.isEmpty();
        }
    }
}
