package io.gradflow.grid;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Greedy layer-wise unsupervised pretraining before the trial's training (the {@code pretrain} axis).
 * <ul>
 *   <li>{@code none}: the network starts from its initial draws.</li>
 *   <li>{@code autoencoder}, {@code autoencoder(S)}, {@code autoencoder(S, p)}: Bengio et al. (2007), Erhan et al.
 *       (2010): each hidden block in turn, from the input side, is trained for S steps ({@value #DEFAULT_STEPS} when
 *       not given) as an autoencoder on the previous blocks' outputs for the training inputs, those blocks frozen:
 *       encoder = a copy of the block's dense layer and activation, decoder = a linear layer back to the width,
 *       mean squared reconstruction error. With p &gt; 0 it is a denoising autoencoder: each input entry is set to 0
 *       with probability p (masking noise) and the clean input is the target. Then the whole network trains with
 *       the trial's settings. See {@link io.gradflow.trial.Pretrainer}.</li>
 * </ul>
 *
 * @param kind       the rule
 * @param steps      S, minibatch steps per block; 0 for {@code none}
 * @param corruption p, the masking-noise probability in [0, 1); 0 for a plain autoencoder and for {@code none}
 */
public record PretrainSpec(Kind kind, int steps, double corruption) implements Serializable {

    public enum Kind {
        NONE("none"), AUTOENCODER("autoencoder");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public static final int DEFAULT_STEPS = 100;
    public static final int MAX_STEPS = 1_000_000;
    public static final PretrainSpec NONE = new PretrainSpec(Kind.NONE, 0, 0);

    private static final Pattern FORM = Pattern.compile("autoencoder\\s*\\(\\s*([^,)]*?)\\s*(?:,\\s*([^)]*?)\\s*)?\\)");

    public PretrainSpec {
        if (kind == null) {
            throw new IllegalArgumentException("pretrain needs a rule; choose one of " + allowed());
        }
        if (kind == Kind.NONE) {
            steps = 0;
            corruption = 0;
        } else {
            if (steps < 1 || steps > MAX_STEPS) {
                throw new IllegalArgumentException("pretrain 'autoencoder(" + steps + ")' is not allowed; its steps per block must be between 1 and " + MAX_STEPS);
            }
            if (!(corruption >= 0 && corruption < 1)) {
                throw new IllegalArgumentException("pretrain 'autoencoder(" + steps + ", " + corruption + ")' is not allowed; its corruption must be a probability in [0, 1)");
            }
        }
    }

    public boolean isNone() {
        return kind == Kind.NONE;
    }

    /** Parses {@code none}, {@code autoencoder}, {@code autoencoder(S)} or {@code autoencoder(S, p)}. */
    public static PretrainSpec parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none") || t.equals("false")) {
            return NONE;
        }
        if (t.equals("autoencoder")) {
            return new PretrainSpec(Kind.AUTOENCODER, DEFAULT_STEPS, 0);
        }
        Matcher m = FORM.matcher(t);
        if (m.matches()) {
            int steps;
            double p = 0;
            try {
                steps = Integer.parseInt(m.group(1));
                if (m.group(2) != null) {
                    p = Double.parseDouble(m.group(2));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("pretrain '" + text.trim() + "' is not supported; write autoencoder(S) or autoencoder(S, p) with S whole steps per block and p a masking probability, e.g. autoencoder(200, 0.25)");
            }
            if (steps < 1 || steps > MAX_STEPS || !(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("pretrain '" + text.trim() + "' is not allowed; S must be between 1 and " + MAX_STEPS + " steps per block and p a probability in [0, 1)");
            }
            return new PretrainSpec(Kind.AUTOENCODER, steps, p);
        }
        String hint = t.startsWith("autoencoder(") && !t.endsWith(")")
                ? " (YAML splits a [...] list at commas: quote a value with one, e.g. [none, \"autoencoder(200, 0.25)\"])" : "";
        throw new IllegalArgumentException("pretrain '" + text.trim() + "' is not supported; choose one of " + allowed() + hint);
    }

    public static String allowed() {
        return "none, autoencoder, autoencoder(<steps per block>), autoencoder(<steps>, <masking probability>) e.g. autoencoder(200, 0.25)";
    }

    /** The grid spelling, also the trials column's value: none, autoencoder(100), autoencoder(200, 0.25). */
    public String key() {
        if (isNone()) {
            return "none";
        }
        return corruption == 0 ? "autoencoder(" + steps + ")" : "autoencoder(" + steps + ", " + corruption + ")";
    }

    @Override
    public String toString() {
        return key();
    }
}
