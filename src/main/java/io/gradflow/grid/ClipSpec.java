package io.gradflow.grid;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gradient clipping, applied after the statistics are recorded and before the updater. Every threshold is on the
 * gradient of the <em>mean</em> minibatch loss, the gradient DL4J's own {@code GradientNormalization} sees (its updater
 * divides the summed-loss gradient by the minibatch size first) and the one the statistics report.
 * <ul>
 *   <li>{@code none}: no clipping.</li>
 *   <li>{@code norm(c)}: Pascanu et al. (2013): when the global L2 norm ‖g‖ of all the network's parameter gradients
 *       together is above c, every gradient is multiplied by c/‖g‖. DL4J has no global form; gradflow's own.</li>
 *   <li>{@code layer_norm(c)}: DL4J's {@code ClipL2PerLayer}: the same per layer (all of one layer's parameters).</li>
 *   <li>{@code value(c)}: DL4J's {@code ClipElementWiseAbsoluteValue}: every entry clipped to [−c, c].</li>
 * </ul>
 *
 * @param kind      the rule
 * @param threshold c; NaN for {@code none}
 */
public record ClipSpec(Kind kind, double threshold) implements Serializable {

    /** The supported rules; the grid spelling is {@link #key}. */
    public enum Kind {
        NONE("none"), NORM("norm"), LAYER_NORM("layer_norm"), VALUE("value");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    /** No clipping. */
    public static final ClipSpec NONE = new ClipSpec(Kind.NONE, Double.NaN);

    private static final Pattern FORM = Pattern.compile("([a-z_]+)\\s*\\(\\s*([^)]*?)\\s*\\)");

    public ClipSpec {
        if (kind == null) {
            throw new IllegalArgumentException("clip needs a rule; choose one of " + allowed());
        }
        if (kind == Kind.NONE) {
            threshold = Double.NaN;
        } else if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("clip '" + kind.key() + "(" + threshold + ")' is not allowed; its threshold must be a positive finite number");
        }
    }

    /** Parses {@code none}, {@code norm(c)}, {@code layer_norm(c)} or {@code value(c)}. */
    public static ClipSpec parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none")) {
            return NONE;
        }
        Matcher m = FORM.matcher(t);
        if (m.matches()) {
            for (Kind k : Kind.values()) {
                if (k != Kind.NONE && k.key().equals(m.group(1))) {
                    double c;
                    try {
                        c = Double.parseDouble(m.group(2));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("clip '" + text + "' is not supported; " + k.key()
                                + " needs a number, e.g. " + k.key() + "(1.0)");
                    }
                    if (!(c > 0) || Double.isInfinite(c)) {
                        // name the value as the user wrote it, not as the record would print it
                        throw new IllegalArgumentException("clip '" + text.trim() + "' is not allowed; its threshold must be a positive finite number");
                    }
                    return new ClipSpec(k, c);
                }
            }
        }
        throw new IllegalArgumentException("clip '" + text + "' is not supported; choose one of " + allowed());
    }

    public static String allowed() {
        return "none, norm(<c>), layer_norm(<c>), value(<c>) e.g. norm(1.0)";
    }

    public boolean isNone() {
        return kind == Kind.NONE;
    }

    /** The grid-file spelling, e.g. {@code norm(1.0)}; also the value of the {@code clip} column. */
    public String key() {
        return kind == Kind.NONE ? "none" : kind.key() + "(" + threshold + ")";
    }

    @Override
    public String toString() {
        return key();
    }
}
