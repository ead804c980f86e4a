package io.gradflow.grid;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A weight initialization rule. {@code xavier} draws N(0, 2/(fan_in+fan_out)), {@code he} N(0, 2/fan_in),
 * {@code lecun} N(0, 1/fan_in) and {@code normal(s)} N(0, s²) whatever the fan-in. Biases start at zero.
 *
 * @param kind the rule
 * @param std  the standard deviation of {@code normal(s)}; NaN for the other rules
 */
public record InitSpec(Kind kind, double std) implements Serializable {

    /** The supported rules. */
    public enum Kind { XAVIER, HE, LECUN, NORMAL }

    private static final Pattern NORMAL = Pattern.compile("normal\\(\\s*([^)]*)\\s*\\)");

    public InitSpec {
        if (kind == Kind.NORMAL) {
            if (!(std > 0) || std > 100 || Double.isInfinite(std)) {
                throw new IllegalArgumentException("init 'normal(" + std + ")' is not allowed; its standard deviation must be above 0 and at most 100");
            }
        } else {
            std = Double.NaN;
        }
    }

    public static InitSpec of(Kind kind) {
        return new InitSpec(kind, Double.NaN);
    }

    public static InitSpec normal(double std) {
        return new InitSpec(Kind.NORMAL, std);
    }

    /** Parses {@code xavier}, {@code he}, {@code lecun} or {@code normal(<std>)}. */
    public static InitSpec parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "xavier": return of(Kind.XAVIER);
            case "he": return of(Kind.HE);
            case "lecun": return of(Kind.LECUN);
            default:
        }
        Matcher m = NORMAL.matcher(t);
        if (m.matches()) {
            double std;
            try {
                std = Double.parseDouble(m.group(1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("init '" + text + "' is not supported; normal needs a number, e.g. normal(0.01)");
            }
            return normal(std);
        }
        throw new IllegalArgumentException("init '" + text + "' is not supported; choose one of " + allowed());
    }

    public static String allowed() {
        return "xavier, he, lecun, normal(<std>) e.g. normal(1.0)";
    }

    /**
     * The weight variance times fan-in (σw² of mean-field theory) for a square layer of the given width.
     */
    public double sigmaW2(int fanIn, int fanOut) {
        return switch (kind) {
            case XAVIER -> 2.0 * fanIn / (fanIn + fanOut);
            case HE -> 2.0;
            case LECUN -> 1.0;
            case NORMAL -> std * std * fanIn;
        };
    }

    /** The standard deviation of a weight of a layer with the given fan-in and fan-out under this rule. */
    public double std(int fanIn, int fanOut) {
        return kind == Kind.NORMAL ? std : Math.sqrt(sigmaW2(fanIn, fanOut) / fanIn);
    }

    /** The grid-file spelling, e.g. {@code normal(0.01)}; also the value in result rows. */
    public String key() {
        return kind == Kind.NORMAL ? "normal(" + std + ")" : kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return key();
    }
}
