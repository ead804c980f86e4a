package io.gradflow.model;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Copies ND4J arrays into plain Java arrays for the pure statistics functions (sampled steps only). Contiguous
 * arrays, which is what a training step produces, are read straight from their buffer: the general route (a
 * C-order duplicate, a cast to double, a copy out) cost 5–20 times as much and made the statistics of a
 * width-64 network about 9% of its training time (see BENCHMARKS.md).
 */
public final class Arrays2 {

    private Arrays2() {
    }

    /** The values of {@code a} in row-major ('c') order as doubles, whatever its type, order or view offset. */
    public static double[] toDoubles(INDArray a) {
        if (a.ordering() == 'c' && contiguous(a) && Shape.hasDefaultStridesForShape(a)) {
            return read(a);
        }
        INDArray c = a.dup('c');
        if (c.dataType() != DataType.DOUBLE) {
            c = c.castTo(DataType.DOUBLE);
        }
        return c.data().asDouble();
    }

    /**
     * The values of {@code a} as doubles in whatever order they are stored: for statistics that do not depend on
     * the order (norms, means, counts) and for element-wise comparisons of arrays of the same layout.
     */
    public static double[] values(INDArray a) {
        return contiguous(a) ? read(a) : toDoubles(a);
    }

    /** True when the array's elements are exactly its data buffer, one after another. */
    private static boolean contiguous(INDArray a) {
        return !a.isEmpty() && a.elementWiseStride() == 1 && a.data().length() == a.length();
    }

    private static double[] read(INDArray a) {
        DataBuffer b = a.data();
        double[] out = new double[(int) a.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getDouble(i);
        }
        return out;
    }

    /**
     * The values of a vector (rank 1, or a {@code [1, n]} row such as a layer's bias or batch-norm parameters, which
     * are views into the network's flattened parameters), read straight from its buffer with its stride.
     */
    public static double[] vector(INDArray v) {
        long step = vectorStride(v);
        DataBuffer b = v.data(); // a view's buffer starts at the view's offset
        double[] out = new double[(int) v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getDouble(i * step);
        }
        return out;
    }

    /** Writes {@code values} into a vector (see {@link #vector}) in place, through its buffer. */
    public static void setVector(INDArray v, double[] values) {
        if (values.length != v.length()) {
            throw new IllegalArgumentException("Cannot write " + values.length + " values into a vector of length "
                    + v.length() + ".");
        }
        long step = vectorStride(v);
        DataBuffer b = v.data();
        for (int i = 0; i < values.length; i++) {
            b.put(i * step, values[i]);
        }
    }

    private static long vectorStride(INDArray v) {
        if (v.rank() == 1) {
            return v.stride(0);
        }
        if (v.rank() == 2 && v.size(0) == 1) {
            return v.stride(1);
        }
        throw new IllegalArgumentException("Expected a vector of rank 1 or shape [1, n], got shape "
                + java.util.Arrays.toString(v.shape()) + ".");
    }
}
