package io.gradflow.data;

import java.io.Serializable;
import java.util.Objects;

/**
 * What data a sweep trains on. Built-in generators use {@code samples}, {@code classes}, {@code features},
 * {@code noise} and {@code seed}; file kinds use {@code path} and {@code label}. Every kind uses
 * {@code testFraction} for the deterministic train/test split.
 *
 * @param kind         generator or file format
 * @param samples      number of examples to generate (ignored for files)
 * @param classes      number of classes to generate (ignored for files: taken from the label column)
 * @param features     input dimension to generate (spirals always have 2; ignored for files)
 * @param noise        generator noise level (std of added Gaussian noise), at least 0
 * @param testFraction share of the examples held out for testing, in (0, 1)
 * @param seed         seed of the generator and of the split
 * @param path         file or directory to read (file kinds only)
 * @param label        name of the label column (file kinds only)
 */
public record DatasetSpec(DatasetKind kind, int samples, int classes, int features, double noise,
                          double testFraction, long seed, String path, String label) implements Serializable {

    /** Largest number of generated examples: the data is held in memory and broadcast to every executor. */
    public static final int MAX_SAMPLES = 5_000_000;

    public DatasetSpec {
        Objects.requireNonNull(kind, "dataset.kind must be given");
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("dataset.test_fraction " + testFraction + " is not allowed; it must be between 0 and 1 (exclusive)");
        }
        if (kind.isFile()) {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException("dataset.path must be given for dataset kind '" + kind.key() + "'");
            }
            if (label == null || label.isBlank()) {
                throw new IllegalArgumentException("dataset.label must name the label column for dataset kind '" + kind.key() + "'");
            }
        } else {
            if (samples < 10 || samples > MAX_SAMPLES) {
                throw new IllegalArgumentException("dataset.samples " + samples + " is not allowed; it must be between 10 and " + MAX_SAMPLES);
            }
            if (classes < 2 || classes > 1000) {
                throw new IllegalArgumentException("dataset.classes " + classes + " is not allowed; it must be between 2 and 1000");
            }
            if (kind != DatasetKind.SPIRALS && (features < 1 || features > 100_000)) {
                throw new IllegalArgumentException("dataset.features " + features + " is not allowed; it must be between 1 and 100000");
            }
            if (!(noise >= 0) || noise > 100) {
                throw new IllegalArgumentException("dataset.noise " + noise + " is not allowed; it must be between 0 and 100");
            }
        }
    }

    /** Input dimension for generated data ({@code spirals} are planar). */
    public int generatedFeatures() {
        return kind == DatasetKind.SPIRALS ? 2 : features;
    }

    /** A stable text form that enters the trial id: two specs with the same canonical form give the same data. */
    public String canonical() {
        if (kind.isFile()) {
            return kind.key() + "(path=" + path + ",label=" + label + ",test_fraction=" + testFraction + ",seed=" + seed + ")";
        }
        return kind.key() + "(samples=" + samples + ",classes=" + classes + ",features=" + generatedFeatures()
                + ",noise=" + noise + ",test_fraction=" + testFraction + ",seed=" + seed + ")";
    }
}
