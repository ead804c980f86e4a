package io.gradflow.analysis;

/** Counts in running text: "1 trial", "2 trials", so that no message says "1 trials" or "wrote 1 rows". */
public final class Plural {

    private Plural() {
    }

    /**
     * The count followed by the noun, with an "s" unless the count is 1.
     *
     * @param n    the count
     * @param noun the singular (every noun gradflow counts takes a plain "s": trial, row, seed, combination)
     */
    public static String of(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
