package io.gradflow.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Copies ND4J arrays into plain Java arrays for the pure statistics functions (sampled steps only). */
public final class Arrays2 {

    private Arrays2() {
    }

    /** The values of {@code a} in row-major ('c') order as doubles, whatever its type, order or view offset. */
    public static double[] toDoubles(INDArray a) {
        INDArray c = a.dup('c');
        if (c.dataType() != DataType.DOUBLE) {
            c = c.castTo(DataType.DOUBLE);
        }
        return c.data().asDouble();
    }
}
