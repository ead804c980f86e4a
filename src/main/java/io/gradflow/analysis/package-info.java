/**
 * What a finished sweep means: the {@code comparison} dataset (one row per remedy combination, seeds aggregated
 * with Student-t confidence intervals), the {@code effects} dataset (paired effects of every axis level against the
 * axis' baseline, conditional effects within strata, two-way interactions), the self-contained HTML report and the
 * terminal summary.
 *
 * <p>Every number is computed by pure functions over small records ({@link io.gradflow.analysis.TrialRow},
 * {@link io.gradflow.analysis.Estimate}, {@link io.gradflow.analysis.Comparison}, {@link io.gradflow.analysis.Effects},
 * {@link io.gradflow.analysis.Profiles}); {@link io.gradflow.analysis.Analysis} is the only class that touches Spark,
 * and only to read the sweep's datasets and write the derived ones.
 */
package io.gradflow.analysis;
