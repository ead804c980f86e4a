package io.gradflow.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The kinds of classification data a sweep can train on: three built-in generators and two file formats. */
public enum DatasetKind {
    /** k interleaved noisy spiral arms in the plane (2 features, one class per arm). */
    SPIRALS,
    /** Gaussian inputs labelled by the arg-max of a fixed random deep tanh "teacher" network. */
    TEACHER,
    /** One isotropic Gaussian blob per class around random centres. */
    BLOBS,
    /** A CSV file with a header row, numeric feature columns and a named label column. */
    CSV,
    /** A Parquet file (or directory) with numeric feature columns and a named label column. */
    PARQUET;

    /** The spelling used in grid files. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the kinds that read a user file. */
    public boolean isFile() {
        return this == CSV || this == PARQUET;
    }

    /** Parses a grid-file spelling; the error names the allowed values. */
    public static DatasetKind parse(String text) {
        for (DatasetKind k : values()) {
            if (k.key().equals(text)) {
                return k;
            }
        }
        throw new IllegalArgumentException("dataset kind '" + text + "' is not supported; choose one of " + allowed());
    }

    /** The allowed spellings, comma separated. */
    public static String allowed() {
        return Arrays.stream(values()).map(DatasetKind::key).collect(Collectors.joining(", "));
    }
}
