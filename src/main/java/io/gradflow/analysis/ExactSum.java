package io.gradflow.analysis;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The count, exact sum and exact sum of squares of finite doubles, mergeable in any order with the same result.
 * Every {@link Estimate} is computed from one, on the driver (the pure functions) and inside Spark's aggregations
 * alike, so the two paths give the same bits whatever the partitioning, the order of the rows or the order in which
 * Spark merges partial results; a floating-point running sum would differ in the last bits between them and from
 * run to run on a cluster, and ties in the ranking could flip.
 *
 * <p>Each double is m · 2^(p − 1074) with a 53-bit integer m and a position p in [0, 2045]; it is added exactly
 * into 32-bit chunks of a fixed-point accumulator (a Kulisch-style "superaccumulator"), squares as the exact pair
 * hi + lo of {@link Math#fma}. The mean and variance are rounded once, from the exact integers, to the nearest
 * double (the subnormal range aside, where a second rounding can occur).
 */
public final class ExactSum implements Serializable, com.esotericsoftware.kryo.KryoSerializable {

    private static final long serialVersionUID = 1L;
    /** Positions up to 2045 plus a 53-bit mantissa shifted by up to 31 bits, plus room for carries. */
    private static final int CHUNKS = 70;
    private static final long MASK = 0xffffffffL;
    /** Each value adds less than 2^34 to a chunk; normalising this often keeps every chunk far from overflow. */
    private static final int NORMALISE_EVERY = 1 << 26;
    private static final int SCALE = -1074;

    // Not final: readObject restores them from the compact form writeObject writes.
    private transient long[] sum = new long[CHUNKS];
    private transient long[] squares = new long[CHUNKS];
    private long n;
    private transient int pending;
    /** A square beyond the double range (|v| above about 1.3e154): the variance is then reported as infinite. */
    private boolean squaresOverflow;

    /** Adds {@code v} if it is finite; NaN and infinities are left out (not counted). */
    public void add(double v) {
        if (!Double.isFinite(v)) {
            return;
        }
        n++;
        accumulate(sum, v);
        double hi = v * v;
        if (Double.isFinite(hi)) {
            accumulate(squares, hi);
            accumulate(squares, Math.fma(v, v, -hi));
        } else {
            squaresOverflow = true;
        }
        if (++pending >= NORMALISE_EVERY) {
            normalise();
        }
    }

    /** Adds every value of {@code other} to this one (as if they had been added here); returns this. */
    public ExactSum merge(ExactSum other) {
        normalise();
        other.normalise();
        for (int i = 0; i < CHUNKS; i++) {
            sum[i] += other.sum[i];
            squares[i] += other.squares[i];
        }
        n += other.n;
        squaresOverflow |= other.squaresOverflow;
        pending = 1;
        return this;
    }

    /** The finite values added. */
    public long count() {
        return n;
    }

    /** The exact sum rounded to the nearest double. */
    public double sum() {
        return ratio(total(sum), BigInteger.ONE, SCALE);
    }

    /** Sum / count rounded once to the nearest double; NaN without values. */
    public double mean() {
        return n == 0 ? Double.NaN : ratio(total(sum), BigInteger.valueOf(n), SCALE);
    }

    /**
     * The sample variance Σ(v − mean)² / (n − 1), computed exactly as (n Σv² − (Σv)²) / (n (n − 1)) and rounded once;
     * NaN with fewer than two values.
     */
    public double variance() {
        if (n < 2) {
            return Double.NaN;
        }
        if (squaresOverflow) {
            return Double.POSITIVE_INFINITY;
        }
        BigInteger s1 = total(sum);
        BigInteger s2 = total(squares);
        // In units of 2^-1074: Σv = s1, Σv² = s2, so n Σv² − (Σv)² = (n · s2 · 2^1074 − s1²) · 2^-2148.
        BigInteger num = s2.multiply(BigInteger.valueOf(n)).shiftLeft(-SCALE).subtract(s1.multiply(s1));
        return ratio(num, BigInteger.valueOf(n).multiply(BigInteger.valueOf(n - 1)), 2 * SCALE);
    }

    /**
     * Spark ships partial sums between tasks: only the chunks in use are written (a sample's values span a few of
     * the 70), normalised, so a buffer is tens of bytes rather than 1.1 KB.
     */
    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
        normalise();
        out.defaultWriteObject();
        writeChunks(out);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        sum = new long[CHUNKS];
        squares = new long[CHUNKS];
        readChunks(in);
    }

    /**
     * The same compact form for Spark's Kryo encoder (what the Spark aggregates use for their buffers): Java
     * serialization builds a stream and a class descriptor per value, which cost about 30 µs a buffer where cells'
     * sums are merged by the thousand.
     */
    @Override
    public void write(com.esotericsoftware.kryo.Kryo kryo, com.esotericsoftware.kryo.io.Output out) {
        normalise();
        try {
            java.io.DataOutputStream d = new java.io.DataOutputStream(out); // unbuffered: writes straight through
            d.writeLong(n);
            d.writeBoolean(squaresOverflow);
            writeChunks(d);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void read(com.esotericsoftware.kryo.Kryo kryo, com.esotericsoftware.kryo.io.Input in) {
        try {
            java.io.DataInputStream d = new java.io.DataInputStream(in);
            n = d.readLong();
            squaresOverflow = d.readBoolean();
            pending = 0;
            readChunks(d);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The used chunks of the sum, then of the squares: first index, count, values. */
    private void writeChunks(java.io.DataOutput out) throws java.io.IOException {
        for (long[] c : new long[][]{sum, squares}) {
            int lo = 0;
            while (lo < CHUNKS && c[lo] == 0) {
                lo++;
            }
            int hi = CHUNKS;
            while (hi > lo && c[hi - 1] == 0) {
                hi--;
            }
            out.writeByte(lo);
            out.writeByte(hi - lo);
            for (int i = lo; i < hi; i++) {
                out.writeLong(c[i]);
            }
        }
    }

    private void readChunks(java.io.DataInput in) throws java.io.IOException {
        for (long[] c : new long[][]{sum, squares}) {
            java.util.Arrays.fill(c, 0);
            int lo = in.readUnsignedByte();
            int len = in.readUnsignedByte();
            if (lo + len > CHUNKS) {
                throw new java.io.InvalidObjectException("an exact sum's chunks " + lo + "+" + len + " exceed " + CHUNKS);
            }
            for (int i = 0; i < len; i++) {
                c[lo + i] = in.readLong();
            }
        }
    }

    private static void accumulate(long[] c, double v) {
        long bits = Double.doubleToRawLongBits(v);
        int e = (int) ((bits >>> 52) & 0x7ff);
        long m = bits & 0xfffffffffffffL;
        if (e == 0) {
            if (m == 0) {
                return;
            }
            e = 1; // subnormal: no implicit bit, same scale as the smallest normal exponent
        } else {
            m |= 1L << 52;
        }
        int p = e - 1; // v = ±m · 2^(p − 1074)
        int k = p >>> 5;
        int s = p & 31;
        long shifted = m << s; // the low 64 bits of m · 2^s are exact; bits 64 and up come from m directly
        long c0 = shifted & MASK;
        long c1 = shifted >>> 32;
        long c2 = s == 0 ? 0 : m >>> (64 - s);
        if (bits < 0) {
            c[k] -= c0;
            c[k + 1] -= c1;
            c[k + 2] -= c2;
        } else {
            c[k] += c0;
            c[k + 1] += c1;
            c[k + 2] += c2;
        }
    }

    private void normalise() {
        carry(sum);
        carry(squares);
        pending = 0;
    }

    /** Brings every chunk but the last into [0, 2^32), the last holding the sign; the value is unchanged. */
    private static void carry(long[] c) {
        for (int i = 0; i < CHUNKS - 1; i++) {
            long carry = c[i] >> 32;
            c[i] -= carry << 32;
            c[i + 1] += carry;
        }
    }

    private static BigInteger total(long[] chunks) {
        long[] c = Arrays.copyOf(chunks, CHUNKS);
        carry(c);
        BigInteger r = BigInteger.valueOf(c[CHUNKS - 1]);
        for (int i = CHUNKS - 2; i >= 0; i--) {
            r = r.shiftLeft(32).add(BigInteger.valueOf(c[i]));
        }
        return r;
    }

    /** num / den · 2^exp2 (den &gt; 0) rounded to the nearest double, ties to even. */
    static double ratio(BigInteger num, BigInteger den, int exp2) {
        if (num.signum() == 0) {
            return 0.0;
        }
        BigInteger a = num.abs();
        // A quotient of 63 to 64 bits: enough for a 53-bit mantissa, a rounding bit and a sticky bit.
        int shift = 63 - (a.bitLength() - den.bitLength());
        BigInteger[] qr = (shift >= 0 ? a.shiftLeft(shift) : a).divideAndRemainder(shift >= 0 ? den : den.shiftLeft(-shift));
        BigInteger q = qr[0];
        boolean inexact = qr[1].signum() != 0;
        // q has 63 or 64 bits; bring it to 62 so that it fits a positive long, folding the dropped bits into the sticky bit.
        int drop = q.bitLength() - 62;
        if (drop > 0) {
            inexact |= q.getLowestSetBit() < drop;
            q = q.shiftRight(drop);
            shift -= drop;
        }
        long bitsOf = q.longValue() | (inexact ? 1 : 0); // bit 0 is far below the rounding position: a sticky bit
        double d = Math.scalb((double) bitsOf, exp2 - shift);
        return num.signum() < 0 ? -d : d;
    }
}
