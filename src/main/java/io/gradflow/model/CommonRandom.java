package io.gradflow.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * Common random numbers for paired comparisons. Every random draw of a trial (the standard-normal draws behind
 * each weight layer's initial weights, and the minibatch order) derives from the user's seed and the shapes
 * involved, never from the rest of the configuration. Two trials that differ only in a setting that keeps the
 * shapes (activation, optimizer, learning rate, the init rule's scale, batch norm) therefore start from the same
 * draws, scaled by their init rules, and see the same minibatches in the same order: their difference at step 0 is
 * the setting's effect alone, and paired intervals over seeds are as narrow as the design allows.
 *
 * <p>Draws use {@link SplittableRandom} and Box–Muller with {@link StrictMath}, so they are the same on every JVM
 * and host. The trial id still hashes the whole configuration.
 */
public final class CommonRandom {

    /** Bumped whenever the derivation changes, so that streams of two versions never coincide by accident. */
    private static final String VERSION = "crn1";

    private CommonRandom() {
    }

    /** The seed of one named stream: a hash of the user's seed, what the stream is for, and the shape it fills. */
    public static long stream(long seed, String purpose, long... shape) {
        StringBuilder sb = new StringBuilder(VERSION).append(':').append(seed).append(':').append(purpose);
        for (long d : shape) {
            sb.append(':').append(d);
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The stream of a weight layer's draws: the layer's name and its fan-in and fan-out. */
    public static long weights(long seed, String layer, long fanIn, long fanOut) {
        return stream(seed, "weights:" + layer, fanIn, fanOut);
    }

    /** The stream of the minibatch order: the number of training examples and the batch size. */
    public static long minibatches(long seed, long trainSize, long batchSize) {
        return stream(seed, "minibatches", trainSize, batchSize);
    }

    /** Fills {@code out} with independent N(0, 1) draws from the stream {@code stream} (Box–Muller, both halves). */
    public static double[] standardNormals(long stream, double[] out) {
        SplittableRandom r = new SplittableRandom(stream);
        for (int i = 0; i < out.length; i += 2) {
            double u1 = 1.0 - r.nextDouble(); // in (0, 1]: log(u1) is finite
            double u2 = r.nextDouble();
            double rad = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double ang = 2.0 * StrictMath.PI * u2;
            out[i] = rad * StrictMath.cos(ang);
            if (i + 1 < out.length) {
                out[i + 1] = rad * StrictMath.sin(ang);
            }
        }
        return out;
    }
}
