package io.gradflow.model;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

import java.nio.FloatBuffer;

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

    /**
     * Reads a C-order array with default strides into {@code dst} (grown when too small) and returns it: through
     * a direct NIO view of its native buffer when it has no offset (the arrays a training step allocates), else
     * element by element through the buffer.
     */
    public static double[] readInto(INDArray a, double[] dst) {
        requireRowMajor(a);
        int len = (int) a.length();
        double[] out = dst != null && dst.length >= len ? dst : new double[len];
        DataBuffer b = a.data();
        if (direct(a) && a.dataType() == DataType.FLOAT) {
            FloatBuffer f = b.asNioFloat();
            for (int i = 0; i < len; i++) {
                out[i] = f.get(i);
            }
        } else if (direct(a)) {
            b.asNioDouble().get(0, out, 0, len);
        } else {
            for (int i = 0; i < len; i++) {
                out[i] = b.getDouble(i);
            }
        }
        return out;
    }

    /** Writes the first {@code a.length()} values of {@code src} into a C-order array with default strides. */
    public static void writeFrom(double[] src, INDArray a) {
        requireRowMajor(a);
        int len = (int) a.length();
        if (src.length < len) {
            throw new IllegalArgumentException("Cannot fill an array of " + len + " values from " + src.length + ".");
        }
        DataBuffer b = a.data();
        if (direct(a) && a.dataType() == DataType.FLOAT) {
            FloatBuffer f = b.asNioFloat();
            for (int i = 0; i < len; i++) {
                f.put(i, (float) src[i]);
            }
        } else if (direct(a)) {
            b.asNioDouble().put(0, src, 0, len);
        } else {
            for (int i = 0; i < len; i++) {
                b.put(i, src[i]);
            }
        }
    }

    /** True when {@link #readInto} and {@link #writeFrom} can use a direct NIO view of the array's buffer. */
    static boolean direct(INDArray a) {
        DataBuffer b = a.data();
        if (b.offset() != 0) {
            return false;
        }
        return switch (a.dataType()) {
            case FLOAT -> b.asNioFloat().capacity() >= a.length();
            case DOUBLE -> b.asNioDouble().capacity() >= a.length();
            default -> false;
        };
    }

    private static void requireRowMajor(INDArray a) {
        if (a.ordering() != 'c' || !Shape.hasDefaultStridesForShape(a) || a.data().length() < a.length()) {
            throw new IllegalArgumentException("Expected a C-order array with default strides, got "
                    + a.shapeInfoToString().replace('\n', ' ') + ".");
        }
    }
}
