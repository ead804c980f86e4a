package io.gradflow.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A fingerprint of the data a sweep trains on: SHA-256 over the loaded {@link Dataset}'s shape, features, labels
 * and split, as the trials see them. A user file is named by its path only, so the fingerprint is what tells
 * that the file behind a path changed (relabelled rows, added rows, another order); it is stored in the sweep's
 * manifest and compared when a sweep is resumed or extended. Hashing the loaded table rather than the file's bytes
 * means a change that leaves what the trials see the same (a re-saved file, another compression) is not a change.
 */
public final class Fingerprint {

    private Fingerprint() {
    }

    /** 64 hex digits of SHA-256 over features, classes and the train and test features and labels, in order. */
    public static String of(Dataset d) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(d.features()).putInt(d.classes()).putInt(d.trainSize()).putInt(d.testSize());
        for (float[] x : new float[][]{d.trainX(), d.testX()}) {
            for (float v : x) {
                b = room(md, b, 4).putInt(Float.floatToIntBits(v));
            }
        }
        for (int[] y : new int[][]{d.trainY(), d.testY()}) {
            for (int v : y) {
                b = room(md, b, 4).putInt(v);
            }
        }
        b.flip();
        md.update(b);
        return HexFormat.of().formatHex(md.digest());
    }

    /** The first 12 hex digits: enough to tell two datasets apart in a message. */
    public static String shortForm(String fingerprint) {
        return fingerprint.length() > 12 ? fingerprint.substring(0, 12) : fingerprint;
    }

    private static ByteBuffer room(MessageDigest md, ByteBuffer b, int bytes) {
        if (b.remaining() < bytes) {
            b.flip();
            md.update(b);
            b.clear();
        }
        return b;
    }
}
