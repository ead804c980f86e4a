package io.gradflow.grid;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A weight initialization rule. {@code xavier} draws N(0, 2/(fan_in+fan_out)), {@code he} N(0, 2/fan_in),
 * {@code lecun} N(0, 1/fan_in) and {@code normal(s)} N(0, s²) whatever the fan-in. Biases start at zero.
 *
 * <p>{@code pretrained(PATH)} and {@code pretrained(SWEEP, ID)} are warm starts: the hidden blocks start from the
 * weights of a model file that a sweep wrote with {@code outputs: {models: true}} (PATH, or
 * {@code SWEEP/models/ID.zip} for a trial id; for a combination id, the model of that combination's trial with the
 * same seed). The input projection and the output layer are taken too where their shapes fit the data, else drawn
 * fresh with Xavier's rule. As parsed, a warm start names its source only; the driver resolves it
 * ({@code store.ModelStore#resolve}) into {@code location} (the model file's qualified path, or the seed → file
 * map of a combination) and {@code fingerprint} (a hash of the weights), which is part of the trial id: a model
 * file rewritten with other weights gives other trials.
 *
 * @param kind        the rule
 * @param std         the standard deviation of {@code normal(s)}; NaN for the other rules
 * @param source      a warm start's PATH as written; empty for the other rules
 * @param id          a warm start's trial or combination id (16 hex digits), or empty
 * @param location    the resolved model file of a one-file warm start; empty before resolution and for a combination
 * @param bySeed      the resolved model file of each seed of a combination warm start; empty otherwise
 * @param fingerprint 16 hex digits of SHA-256 over the resolved models' weights; empty before resolution
 */
public record InitSpec(Kind kind, double std, String source, String id, String location, Map<Long, String> bySeed,
                       String fingerprint) implements Serializable {

    /** The supported rules. */
    public enum Kind { XAVIER, HE, LECUN, NORMAL, PRETRAINED }

    private static final Pattern NORMAL = Pattern.compile("normal\\(\\s*([^)]*)\\s*\\)");
    private static final Pattern HEX16 = Pattern.compile("[0-9a-f]{16}");

    public InitSpec {
        Objects.requireNonNull(kind, "kind");
        source = source == null ? "" : source;
        id = id == null ? "" : id;
        location = location == null ? "" : location;
        bySeed = bySeed == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(bySeed));
        fingerprint = fingerprint == null ? "" : fingerprint;
        if (kind == Kind.NORMAL) {
            if (!(std > 0) || std > 100 || Double.isInfinite(std)) {
                throw new IllegalArgumentException("init 'normal(" + std + ")' is not allowed; its standard deviation must be above 0 and at most 100");
            }
        } else {
            std = Double.NaN;
        }
        if (kind == Kind.PRETRAINED) {
            if (source.isBlank()) {
                throw new IllegalArgumentException("init 'pretrained()' names no model; give a model file, e.g. "
                        + "pretrained(runs/a/models/0123456789abcdef.zip), or a sweep folder and a trial or combination id");
            }
            if (!id.isEmpty() && !HEX16.matcher(id).matches()) {
                throw new IllegalArgumentException("init 'pretrained(" + source + ", " + id + ")' is not supported; "
                        + "the id must be a trial_id or combination_id of 16 hex digits");
            }
        } else if (!source.isEmpty() || !id.isEmpty() || !location.isEmpty() || !bySeed.isEmpty() || !fingerprint.isEmpty()) {
            throw new IllegalArgumentException("init '" + kind.name().toLowerCase(Locale.ROOT) + "' takes no model");
        }
    }

    /** A rule without a model file. */
    public InitSpec(Kind kind, double std) {
        this(kind, std, "", "", "", Map.of(), "");
    }

    public static InitSpec of(Kind kind) {
        return new InitSpec(kind, Double.NaN);
    }

    public static InitSpec normal(double std) {
        return new InitSpec(Kind.NORMAL, std);
    }

    /** A warm start from a model file, or from a sweep folder and a trial or combination id (empty: none). */
    public static InitSpec pretrained(String path, String id) {
        return new InitSpec(Kind.PRETRAINED, Double.NaN, path, id, "", Map.of(), "");
    }

    /** Parses {@code xavier}, {@code he}, {@code lecun}, {@code normal(<std>)} or {@code pretrained(<path>[, <id>])}. */
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
        // The path keeps its case; only the word is case-blind.
        if (t.startsWith("pretrained(") && t.endsWith(")")) {
            String inner = text.trim().substring("pretrained(".length(), text.trim().length() - 1).trim();
            int comma = inner.lastIndexOf(',');
            if (comma >= 0) {
                String last = inner.substring(comma + 1).trim().toLowerCase(Locale.ROOT);
                if (HEX16.matcher(last).matches()) {
                    return pretrained(inner.substring(0, comma).trim(), last);
                }
            }
            return pretrained(inner, "");
        }
        if (t.startsWith("pretrained(")) {
            throw new IllegalArgumentException("init '" + text + "' is not supported; write pretrained(<model file>) or "
                    + "pretrained(<sweep folder>, <trial or combination id>) (YAML splits a [...] list at commas: quote "
                    + "a value with one, e.g. [he, \"pretrained(runs/a, 0123456789abcdef)\"])");
        }
        throw new IllegalArgumentException("init '" + text + "' is not supported; choose one of " + allowed());
    }

    public static String allowed() {
        return "xavier, he, lecun, normal(<std>) e.g. normal(1.0), pretrained(<model file>) or "
                + "pretrained(<sweep folder>, <trial or combination id>)";
    }

    /** Whether this is a warm start from a model file. */
    public boolean isPretrained() {
        return kind == Kind.PRETRAINED;
    }

    /** Whether this warm start names its model files (always true of the other rules). */
    public boolean isResolved() {
        return kind != Kind.PRETRAINED || !fingerprint.isEmpty();
    }

    /** This warm start with its model files found and their weights' fingerprint. */
    public InitSpec resolved(String location, Map<Long, String> bySeed, String fingerprint) {
        return new InitSpec(kind, std, source, id, location, bySeed, fingerprint);
    }

    /** The model file a trial with the user's {@code seed} starts from (resolved warm starts only). */
    public String modelFor(long seed) {
        if (!isResolved() || kind != Kind.PRETRAINED) {
            throw new IllegalStateException("init '" + key() + "' has not been resolved to a model file");
        }
        if (bySeed.isEmpty()) {
            return location;
        }
        String f = bySeed.get(seed);
        if (f == null) {
            throw new IllegalStateException("init '" + key() + "' has no model for seed " + seed);
        }
        return f;
    }

    /**
     * The weight variance times fan-in (σw² of mean-field theory) for a square layer of the given width. A warm
     * start's fresh layers use Xavier's rule, so that is its value here (its hidden blocks follow no rule).
     */
    public double sigmaW2(int fanIn, int fanOut) {
        return switch (kind) {
            case XAVIER, PRETRAINED -> 2.0 * fanIn / (fanIn + fanOut);
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
        return switch (kind) {
            case NORMAL -> "normal(" + std + ")";
            case PRETRAINED -> "pretrained(" + source + (id.isEmpty() ? "" : ", " + id) + ")";
            default -> kind.name().toLowerCase(Locale.ROOT);
        };
    }

    /** What the trial id hashes: {@link #key()}, and a warm start's weights fingerprint once resolved. */
    public String canonicalKey() {
        return fingerprint.isEmpty() ? key() : key() + "@" + fingerprint;
    }

    /** Equal when the grid-file spellings are: a resolved warm start equals the one the parser made. */
    @Override
    public boolean equals(Object o) {
        return o instanceof InitSpec other && other.key().equals(key());
    }

    @Override
    public int hashCode() {
        return key().hashCode();
    }

    @Override
    public String toString() {
        return key();
    }
}
