package io.gradflow.grid;

import java.util.Locale;

/**
 * The form of a hidden block's skip connection. {@code false}: a plain block, no skip. {@code true}: the unit
 * residual {@code x + F(x)}. {@code scaled}: {@code x + F(x)/√depth}, whose stream's second moment grows by at most a
 * factor (1 + 1/depth) per block, so by at most e over the whole net. {@code rezero}: {@code x + α·F(x)} with one
 * learnable α per block starting at 0 (ReZero, Bachlechner et al. 2020; SkipInit, De &amp; Smith 2020), so the net
 * is the identity at initialization.
 */
public enum Residual {
    NONE("false"), UNIT("true"), SCALED("scaled"), REZERO("rezero");

    private final String key;

    Residual(String key) {
        this.key = key;
    }

    /** The grid-file spelling and the value of the {@code residual_form} column: false, true, scaled or rezero. */
    public String key() {
        return key;
    }

    /** Whether the block has a skip connection at all (the {@code residual} column). */
    public boolean hasSkip() {
        return this != NONE;
    }

    /** {@code true} → the unit residual, {@code false} → none: the two forms the grid had before the scaled ones. */
    public static Residual of(boolean skip) {
        return skip ? UNIT : NONE;
    }

    /** Parses false, true (any case), scaled or rezero. */
    public static Residual parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Residual r : values()) {
            if (r.key.equals(t)) {
                return r;
            }
        }
        throw new IllegalArgumentException("residual '" + text + "' is not supported; choose one of " + allowed());
    }

    public static String allowed() {
        return "false, true, scaled, rezero";
    }

    @Override
    public String toString() {
        return key;
    }
}
