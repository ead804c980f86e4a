package io.gradflow.model;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Copies ND4J arrays to and from plain Java arrays: for the pure statistics functions (sampled steps only) and
 * for the batch-norm kernel ({@link FusedBatchNorm}, every step). Contiguous arrays, which is what a training
 * step produces, are read straight from their buffer, through a direct NIO view where there is one: the general
 * route (a C-order duplicate, a cast to double, a copy out) cost 5–20 times as much and made the statistics of a
 * width-64 network about 9% of its training time (see BENCHMARKS.md).
 */
public final class Arrays2 {

    private Arrays2() {
    }

    /** The values of {@code a} in row-major ('c') order as doubles, whatever its type, order or view offset. */
    public static double[] toDoubles(INDArray a) {
        if (rowMajor(a) && contiguous(a)) {
            return copy(a, new double[(int) a.length()]);
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
        return contiguous(a) ? copy(a, new double[(int) a.length()]) : toDoubles(a);
    }

    /**
     * {@link #values} into {@code dst} when it is long enough (its first {@code a.length()} entries; a new array
     * otherwise), so that a caller reading every step's gradients reuses one buffer. Returns the array written.
     */
    public static double[] valuesInto(INDArray a, double[] dst) {
        int len = (int) a.length();
        if (!contiguous(a)) {
            return toDoubles(a);
        }
        return copy(a, dst != null && dst.length >= len ? dst : new double[len]);
    }

    /** True when the array's elements are exactly its data buffer, one after another. */
    private static boolean contiguous(INDArray a) {
        return !a.isEmpty() && a.elementWiseStride() == 1 && a.data().length() == a.length();
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
     * Reads a C-order array with default strides into {@code dst} (grown when too small) and returns it: in bulk
     * from its native buffer for float and double arrays, views included, else element by element.
     */
    public static double[] readInto(INDArray a, double[] dst) {
        requireRowMajor(a);
        int len = (int) a.length();
        return copy(a, dst != null && dst.length >= len ? dst : new double[len]);
    }

    /** Writes the first {@code a.length()} values of {@code src} into a C-order array with default strides. */
    public static void writeFrom(double[] src, INDArray a) {
        requireRowMajor(a);
        int len = (int) a.length();
        if (src.length < len) {
            throw new IllegalArgumentException("Cannot fill an array of " + len + " values from " + src.length + ".");
        }
        Buffer view = nio(a);
        if (view instanceof FloatBuffer f) {
            for (int i = 0; i < len; i++) {
                f.put(i, (float) src[i]);
            }
        } else if (view instanceof DoubleBuffer d) {
            d.put(0, src, 0, len);
        } else {
            DataBuffer b = a.data();
            for (int i = 0; i < len; i++) {
                b.put(i, src[i]);
            }
        }
    }

    /** True when the array is in C order with default strides: row-major, its elements one after another. */
    public static boolean rowMajor(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a);
    }

    /** True when {@link #readInto} and {@link #writeFrom} can use a direct NIO view of the array's buffer. */
    static boolean direct(INDArray a) {
        return nio(a) != null;
    }

    /**
     * The first {@code a.length()} values of the array's buffer, in memory order, copied into {@code out}. Float and
     * double buffers, views included (a layer's weights and gradients are views into the network's flattened
     * arrays), are copied in bulk from their native address ({@link DirectBlas#read}, widening on vector lanes);
     * why: element by element through ND4J's {@code DataBuffer.getDouble} the weight-gradient listener spent two
     * thirds of its time copying (BENCHMARKS.md). Other types go element by element.
     */
    private static double[] copy(INDArray a, double[] out) {
        int len = (int) a.length();
        DataType t = a.dataType();
        if ((t == DataType.FLOAT || t == DataType.DOUBLE) && a.data().address() != 0) {
            DirectBlas.read(t, DirectBlas.address(a), out, len);
        } else {
            DataBuffer b = a.data();
            for (int i = 0; i < len; i++) {
                out[i] = b.getDouble(i);
            }
        }
        return out;
    }

    /**
     * A direct NIO view of the array's float or double buffer holding at least its length, or null: for a buffer
     * that starts at an offset (a view's), or another type, callers go element by element through the buffer.
     */
    private static Buffer nio(INDArray a) {
        DataBuffer b = a.data();
        if (b.offset() != 0) {
            return null;
        }
        Buffer view = switch (a.dataType()) {
            case FLOAT -> b.asNioFloat();
            case DOUBLE -> b.asNioDouble();
            default -> null;
        };
        return view != null && view.capacity() >= a.length() ? view : null;
    }

    private static void requireRowMajor(INDArray a) {
        if (!rowMajor(a) || a.data().length() < a.length()) {
            throw new IllegalArgumentException("Expected a C-order array with default strides, got "
                    + a.shapeInfoToString().replace('\n', ' ') + ".");
        }
    }
}
