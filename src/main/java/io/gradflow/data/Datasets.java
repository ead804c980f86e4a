package io.gradflow.data;

import org.apache.spark.sql.SparkSession;

/**
 * The one entry point from a {@link DatasetSpec} to a ready {@link Dataset}: generate or load, split with the
 * spec's seed, and standardize with training statistics. Runs on the driver; the result is broadcast.
 */
public final class Datasets {

    private Datasets() {
    }

    /**
     * Builds the dataset a spec describes.
     *
     * @param spec        what to generate or read
     * @param sparkOrNull the session used to read CSV/Parquet; may be null for the built-in generators
     * @return the split, standardized data, named {@code spec.canonical()}
     * @throws IllegalArgumentException if the data cannot be produced; the message says why
     */
    public static Dataset build(DatasetSpec spec, SparkSession sparkOrNull) {
        Examples examples;
        if (spec.kind().isFile()) {
            if (sparkOrNull == null) {
                throw new IllegalArgumentException("dataset kind '" + spec.kind().key() + "' needs a Spark session to read '"
                        + spec.path() + "', but none was given.");
            }
            examples = DatasetLoader.load(sparkOrNull, spec).examples();
        } else {
            examples = SyntheticData.generate(spec);
        }
        return prepare(spec.canonical(), examples, spec.testFraction(), spec.seed());
    }

    /**
     * Splits examples deterministically and standardizes both parts with the training mean and std.
     *
     * @param name         the dataset name to record
     * @param examples     all examples
     * @param testFraction share held out for testing, in (0, 1)
     * @param seed         seed of the shuffle
     */
    public static Dataset prepare(String name, Examples examples, double testFraction, long seed) {
        Split split = Split.of(examples, testFraction, seed);
        Standardizer standardizer = Standardizer.fit(split.train().x(), examples.features());
        return new Dataset(name, examples.features(), examples.classes(),
                standardizer.apply(split.train().x()), split.train().y(),
                standardizer.apply(split.test().x()), split.test().y());
    }
}
