package io.gradflow.data;

import java.util.Random;

/**
 * Independent random streams derived from one user seed. Each consumer (generator inputs, teacher weights, noise,
 * the split) gets its own stream so that changing how much one of them draws never shifts the others.
 */
final class Streams {
    static final long SPIRAL_POINTS = 1;
    static final long SPIRAL_NOISE = 2;
    static final long TEACHER_WEIGHTS = 3;
    static final long TEACHER_REFERENCE = 4;
    static final long TEACHER_INPUTS = 5;
    static final long TEACHER_NOISE = 6;
    static final long BLOB_CENTRES = 7;
    static final long BLOB_POINTS = 8;
    static final long SPLIT = 9;

    private Streams() {
    }

    /**
     * A generator for stream {@code salt} of {@code seed}. {@link Random} is used rather than SplittableRandom
     * because its algorithm, including {@code nextGaussian}, is fixed by its specification, so data stays
     * bit-identical across JVM vendors and versions.
     */
    static Random of(long seed, long salt) {
        return new Random(mix(seed, salt));
    }

    /** SplitMix64 finaliser: nearby (seed, salt) pairs give unrelated generator seeds. */
    static long mix(long seed, long salt) {
        long z = seed + salt * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
