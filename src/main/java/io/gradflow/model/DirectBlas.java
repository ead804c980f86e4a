package io.gradflow.model;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GEMMs and copies on the native buffers of ND4J arrays without any ND4J op: OpenBLAS's {@code cblas_sgemm} and
 * {@code cblas_dgemm} through the JavaCPP binding that nd4j-native ships and loads for its own matmul (the same
 * library, so the same kernels and the thread count ND4J gave it), and bulk copies between native memory and Java
 * arrays.
 *
 * <p>Why: at width 64 an ND4J op costs 55–80 µs of Java/JNI bookkeeping (shape and data-buffer objects, an op
 * context) whatever its size, more than the arithmetic of a 128 × 64 by 64 × 64 product (BENCHMARKS.md). A direct
 * call costs one JNI crossing. Nothing is allocated per call: the pointer objects handed to JavaCPP are reused per
 * thread and only their address is set (JavaCPP reads a pointer's {@code address} and {@code position} fields), and
 * the Java-side copy buffers are per-thread scratch grown on demand.
 */
final class DirectBlas {

    private DirectBlas() {
    }

    /** A float pointer whose address is set per call, so that no pointer object is made per call. */
    private static final class FloatAt extends FloatPointer {
        FloatAt() {
            super((Pointer) null);
        }

        FloatAt at(long addr, long length) {
            address = addr;
            position = 0;
            limit = length;
            capacity = length;
            return this;
        }
    }

    /** The double counterpart of {@link FloatAt}. */
    private static final class DoubleAt extends DoublePointer {
        DoubleAt() {
            super((Pointer) null);
        }

        DoubleAt at(long addr, long length) {
            address = addr;
            position = 0;
            limit = length;
            capacity = length;
            return this;
        }
    }

    /** One thread's reusable pointers, float copy buffer and native working buffer. */
    private static final class PerThread {
        final FloatAt[] f = {new FloatAt(), new FloatAt(), new FloatAt()};
        final DoubleAt[] d = {new DoubleAt(), new DoubleAt(), new DoubleAt()};
        float[] floats = new float[0];
        Pointer work;
        long workBytes;
    }

    private static final ThreadLocal<PerThread> THREAD = ThreadLocal.withInitial(PerThread::new);

    static boolean supported(DataType t) {
        return t == DataType.FLOAT || t == DataType.DOUBLE;
    }

    /**
     * The native address of {@code a}'s first element. A view's data buffer (a layer's parameters inside the
     * network's flattened vector) reports the whole vector's address and its own offset in elements.
     */
    static long address(INDArray a) {
        DataBuffer b = a.data();
        return b.address() + b.offset() * b.getElementSize();
    }

    /**
     * {@code C = A·B} (α = 1, β = 0) in BLAS terms: {@code rowMajor} picks the storage convention of all three
     * matrices, {@code transA}/{@code transB} transpose A and B, C is m × n and the inner dimension is k.
     */
    static void gemm(DataType t, boolean rowMajor, boolean transA, boolean transB, int m, int n, int k,
                     long a, int lda, long b, int ldb, long c, int ldc) {
        int order = rowMajor ? openblas_nolapack.CblasRowMajor : openblas_nolapack.CblasColMajor;
        int ta = transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int tb = transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        long lenA = (long) m * k;
        long lenB = (long) k * n;
        long lenC = (long) m * n;
        PerThread p = THREAD.get();
        if (t == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(order, ta, tb, m, n, k, 1f, p.f[0].at(a, lenA), lda, p.f[1].at(b, lenB), ldb,
                    0f, p.f[2].at(c, lenC), ldc);
        } else if (t == DataType.DOUBLE) {
            openblas_nolapack.cblas_dgemm(order, ta, tb, m, n, k, 1.0, p.d[0].at(a, lenA), lda, p.d[1].at(b, lenB), ldb,
                    0.0, p.d[2].at(c, lenC), ldc);
        } else {
            throw new IllegalArgumentException("Direct BLAS calls take float or double arrays, not " + t + ".");
        }
    }

    /**
     * {@code x[i] = α·x[i]} for {@code n} contiguous values of type {@code t} at native address {@code x}
     * ({@code cblas_sscal}/{@code cblas_dscal}: one product per element, in the array's type, as ND4J's scalar
     * multiplication computes it). α must not be 0 (OpenBLAS then writes zeros, where a product would keep NaNs).
     */
    static void scal(DataType t, int n, double alpha, long x) {
        if (alpha == 0) {
            throw new IllegalArgumentException("scal by 0 would not keep NaNs; α must be non-zero.");
        }
        PerThread p = THREAD.get();
        if (t == DataType.FLOAT) {
            openblas_nolapack.cblas_sscal(n, (float) alpha, p.f[0].at(x, n), 1);
        } else if (t == DataType.DOUBLE) {
            openblas_nolapack.cblas_dscal(n, alpha, p.d[0].at(x, n), 1);
        } else {
            throw new IllegalArgumentException("Direct BLAS calls take float or double arrays, not " + t + ".");
        }
    }

    /** {@code y[i] = x[i]} for {@code n} contiguous values of type {@code t} ({@code cblas_?copy}). */
    static void copy(DataType t, int n, long x, long y) {
        PerThread p = THREAD.get();
        if (t == DataType.FLOAT) {
            openblas_nolapack.cblas_scopy(n, p.f[0].at(x, n), 1, p.f[1].at(y, n), 1);
        } else if (t == DataType.DOUBLE) {
            openblas_nolapack.cblas_dcopy(n, p.d[0].at(x, n), 1, p.d[1].at(y, n), 1);
        } else {
            throw new IllegalArgumentException("Direct BLAS calls take float or double arrays, not " + t + ".");
        }
    }

    /**
     * {@code y[i] = x[i] + y[i]} for {@code n} contiguous values of type {@code t}: {@code cblas_?axpy} with α = 1,
     * whose product 1·x is exact, so each sum is the correctly rounded {@code x + y} an element-wise add gives
     * (with or without a fused multiply-add).
     */
    static void addTo(DataType t, int n, long x, long y) {
        PerThread p = THREAD.get();
        if (t == DataType.FLOAT) {
            openblas_nolapack.cblas_saxpy(n, 1f, p.f[0].at(x, n), 1, p.f[1].at(y, n), 1);
        } else if (t == DataType.DOUBLE) {
            openblas_nolapack.cblas_daxpy(n, 1.0, p.d[0].at(x, n), 1, p.d[1].at(y, n), 1);
        } else {
            throw new IllegalArgumentException("Direct BLAS calls take float or double arrays, not " + t + ".");
        }
    }

    /** Copies {@code len} values of type {@code t} at native address {@code addr} into {@code dst}, as doubles. */
    static void read(DataType t, long addr, double[] dst, int len) {
        PerThread p = THREAD.get();
        if (t == DataType.FLOAT) {
            float[] f = floats(p, len);
            p.f[0].at(addr, len).get(f, 0, len);
            widen(f, dst, len);
        } else {
            p.d[0].at(addr, len).get(dst, 0, len);
        }
    }

    /** {@code dst[i] = src[i]} (exact) for the first {@code len} values, on vector lanes where the JVM has them. */
    static void widen(float[] src, double[] dst, int len) {
        if (FastExp.vectorized()) {
            VectorLoops.widen(src, dst, len); // the same values, vectorized
        } else {
            for (int i = 0; i < len; i++) {
                dst[i] = src[i];
            }
        }
    }

    /** Copies {@code len} floats from native address {@code addr} into {@code dst} (a float array's bulk copy). */
    static void readFloats(long addr, float[] dst, int len) {
        THREAD.get().f[0].at(addr, len).get(dst, 0, len);
    }

    /** Copies the first {@code len} values of {@code src} to native address {@code addr}, a float array. */
    static void writeFloats(float[] src, int len, long addr) {
        THREAD.get().f[0].at(addr, len).put(src, 0, len);
    }

    /** Writes the first {@code len} values of {@code src} to native address {@code addr}, rounded to type {@code t}. */
    static void write(DataType t, double[] src, int len, long addr) {
        PerThread p = THREAD.get();
        if (t == DataType.FLOAT) {
            float[] f = floats(p, len);
            if (FastExp.vectorized()) {
                VectorLoops.narrow(src, f, len); // the same roundings, vectorized
            } else {
                for (int i = 0; i < len; i++) {
                    f[i] = (float) src[i];
                }
            }
            p.f[0].at(addr, len).put(f, 0, len);
        } else {
            p.d[0].at(addr, len).put(src, 0, len);
        }
    }

    /**
     * The address of this thread's native working buffer, at least {@code len} values of type {@code t}: for an
     * operand that only lives within one backward call (the fused block's δ before its two GEMMs).
     */
    static long work(DataType t, long len) {
        PerThread p = THREAD.get();
        long bytes = len * (t == DataType.FLOAT ? 4 : 8);
        if (p.workBytes < bytes) {
            if (p.work != null) {
                p.work.close();
            }
            // 64-byte aligned, as OpenBLAS's kernels prefer; JavaCPP's malloc gives 16.
            p.work = new org.bytedeco.javacpp.BytePointer(bytes + 64);
            p.workBytes = bytes;
        }
        long a = p.work.address();
        return (a + 63) & ~63L;
    }

    private static float[] floats(PerThread p, int len) {
        if (p.floats.length < len) {
            p.floats = new float[len];
        }
        return p.floats;
    }
}
