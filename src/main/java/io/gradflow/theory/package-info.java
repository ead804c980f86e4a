/**
 * Mean-field theory of gradient flow at initialization, for plain fully-connected networks: the forward map of
 * the pre-activation second moment q and the per-block backward factor χ of the squared gradient norm, computed
 * by adaptive numerical integration ({@link io.gradflow.theory.GaussianIntegral}). Pure functions of a
 * configuration; no DL4J, no Spark. What is measured lives in {@code trial}; what theory predicts lives here.
 * The one exception is {@link io.gradflow.theory.ReproductionTables}, which reads the paper grids' Parquet
 * output with Spark to render the measured-versus-published tables of {@code docs/reproductions.md}.
 */
package io.gradflow.theory;
