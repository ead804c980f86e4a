/**
 * The data a sweep trains on: deterministic built-in generators ({@link io.gradflow.data.SyntheticData}), user
 * tables read from CSV or Parquet through Spark ({@link io.gradflow.data.DatasetLoader}), and the pure
 * preparation steps every source goes through, a seeded train/test {@link io.gradflow.data.Split} and
 * {@link io.gradflow.data.Standardizer standardization} with training statistics.
 *
 * <p>{@link io.gradflow.data.Datasets#build Datasets.build} is the one entry point: it turns a
 * {@link io.gradflow.data.DatasetSpec} into an in-memory {@link io.gradflow.data.Dataset} on the driver, which the
 * sweep then broadcasts. Only the loader does I/O; everything else is a pure function of its arguments, so the
 * same spec always yields bit-identical arrays and a trial can be reproduced from its configuration alone.
 */
package io.gradflow.data;
