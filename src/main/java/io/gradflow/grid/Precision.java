package io.gradflow.grid;

import java.util.Locale;

/** The floating-point type a network trains in. FLOAT is DL4J's default; DOUBLE is for gradient checks. */
public enum Precision {
    FLOAT, DOUBLE;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Precision parse(String text) {
        for (Precision p : values()) {
            if (p.key().equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("dtype '" + text + "' is not supported; choose one of float, double");
    }
}
