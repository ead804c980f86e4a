package io.gradflow.analysis;

/**
 * One paired effect. For {@code main} and {@code conditional} rows: the mean over pairs of
 * outcome(axis = level) − outcome(axis = baseline), each pair two trials equal in every other setting and the
 * seed; conditional rows only use the pairs inside {@code stratum}. For {@code interaction} rows: the mean over
 * matched quadruples of [y(level, by_level) − y(baseline, by_level)] − [y(level, by_baseline) − y(baseline, by_baseline)],
 * i.e. how much the effect of the axis' level changes when the second axis moves from its baseline to by_level.
 *
 * @param kind           main, conditional or interaction
 * @param outcome        which outcome
 * @param axis           the axis switched
 * @param level          the level switched to
 * @param baseline       the level switched from (the axis' first level in the grid)
 * @param stratum        "all", or the settings held at fixed values, e.g. {@code activation=sigmoid, depth=20}
 * @param byAxis         interactions: the second axis, else null
 * @param byLevel        interactions: the second axis' level, else null
 * @param byBaseline     interactions: the second axis' baseline, else null
 * @param diff           mean paired difference (or interaction contrast), its sd and 95% CI; n is the pair count
 * @param meanAtBaseline main/conditional: mean outcome of the baseline trials of the pairs; interaction: mean
 *                       effect of the axis' level at by_baseline
 * @param meanAtLevel    main/conditional: mean outcome at the level; interaction: mean effect at by_level
 */
public record EffectRow(String kind, Outcome outcome, String axis, String level, String baseline, String stratum,
                        String byAxis, String byLevel, String byBaseline, Estimate diff, double meanAtBaseline,
                        double meanAtLevel) {

    public static final String MAIN = "main";
    public static final String CONDITIONAL = "conditional";
    public static final String INTERACTION = "interaction";
    public static final String ALL = "all";

    public int nPairs() {
        return diff.n();
    }
}
