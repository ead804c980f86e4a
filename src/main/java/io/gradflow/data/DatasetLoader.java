package io.gradflow.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;

/**
 * Reads a user's classification table from CSV (with a header row) or Parquet (a file or a directory) through
 * Spark, so that any path Spark can read works, including {@code hdfs:} and {@code s3a:}. The whole table is
 * collected to the driver: the sweep holds the data in memory and broadcasts it anyway.
 *
 * <p>Every column except the label is a feature and must hold finite numbers. Label values may be numbers or
 * strings; the distinct values are sorted (numerically if all of them are numbers, else as text) and mapped to
 * 0..k-1. Every problem is reported as an {@link IllegalArgumentException} whose one-line message names the field
 * and the value. Row numbers in messages count data rows from 1 in file order, not counting the CSV header.
 */
public final class DatasetLoader {

    /**
     * A loaded table.
     *
     * @param examples     features and mapped labels
     * @param featureNames the feature columns, in the order of the feature array
     * @param classNames   label value of each class index, as text
     */
    public record Table(Examples examples, List<String> featureNames, List<String> classNames) {
        public Table {
            featureNames = List.copyOf(featureNames);
            classNames = List.copyOf(classNames);
        }
    }

    private DatasetLoader() {
    }

    /**
     * Loads the file a CSV or Parquet spec names.
     *
     * @throws IllegalArgumentException if the path is missing or unreadable, the label is not a column, a feature
     *                                  is not numeric or has a missing value, or there are fewer than 2 rows,
     *                                  fewer than 2 classes or no feature columns
     */
    public static Table load(SparkSession spark, DatasetSpec spec) {
        if (!spec.kind().isFile()) {
            throw new IllegalArgumentException("dataset kind '" + spec.kind().key() + "' is generated, not read from a file.");
        }
        String path = spec.path();
        checkExists(spark, path);
        Dataset<Row> frame;
        List<Row> rows;
        try {
            frame = spec.kind() == DatasetKind.CSV
                    // Everything as strings: numbers are parsed here so that a bad cell can be reported by row.
                    ? spark.read().option("header", "true").option("inferSchema", "false").csv(path)
                    : spark.read().parquet(path);
        } catch (Exception e) {
            throw unreadable(path, e);
        }
        String[] columns = frame.columns();
        int labelIndex = Arrays.asList(columns).indexOf(spec.label());
        if (labelIndex < 0) {
            throw new IllegalArgumentException(columns.length == 0
                    ? "dataset.label '" + spec.label() + "' is not a column of '" + path + "', which has no columns."
                    : "dataset.label '" + spec.label() + "' is not a column of '" + path + "'; its columns are "
                    + String.join(", ", columns) + ".");
        }
        if (columns.length < 2) {
            throw new IllegalArgumentException("dataset '" + path + "' has no feature columns; its only column is the label '"
                    + spec.label() + "'.");
        }
        DataType[] types = Arrays.stream(frame.schema().fields()).map(f -> f.dataType()).toArray(DataType[]::new);
        for (int j = 0; j < columns.length; j++) {
            if (j != labelIndex && !(types[j] instanceof NumericType) && !(types[j] instanceof StringType)) {
                throw new IllegalArgumentException("dataset column '" + columns[j] + "' of '" + path
                        + "' is not numeric (its type is " + types[j].simpleString() + ").");
            }
        }
        try {
            rows = frame.collectAsList();
        } catch (Exception e) {
            throw unreadable(path, e);
        }
        if (rows.size() < 2) {
            throw new IllegalArgumentException("dataset '" + path + "' has " + rows.size()
                    + " data row(s); at least 2 are needed to split it into training and test data.");
        }

        int n = rows.size();
        int d = columns.length - 1;
        List<String> featureNames = new ArrayList<>(d);
        for (int j = 0; j < columns.length; j++) {
            if (j != labelIndex) {
                featureNames.add(columns[j]);
            }
        }
        float[] x = new float[n * d];
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            Row row = rows.get(i);
            int k = 0;
            for (int j = 0; j < columns.length; j++) {
                if (j == labelIndex) {
                    Object v = row.get(j);
                    if (v == null || v.toString().isBlank()) {
                        throw missing(columns[j], path, i);
                    }
                    labels[i] = v.toString().strip();
                } else {
                    x[i * d + k++] = number(row.get(j), columns[j], path, i);
                }
            }
        }
        return labelled(x, labels, d, featureNames, spec.label(), path);
    }

    /** Maps label text to 0..k-1 in sorted order and wraps everything up. */
    private static Table labelled(float[] x, String[] labels, int d, List<String> featureNames, String label, String path) {
        boolean numeric = Arrays.stream(labels).allMatch(DatasetLoader::isNumber);
        // Numeric labels sort by value (2 before 10) and "1" and "1.0" are the same class; text sorts as text.
        TreeMap<Object, String> distinct = new TreeMap<>();
        for (String s : labels) {
            distinct.putIfAbsent(numeric ? (Object) Double.valueOf(s) : s, s);
        }
        if (distinct.size() < 2) {
            throw new IllegalArgumentException("dataset.label '" + label + "' of '" + path + "' has only one distinct value ('"
                    + distinct.firstEntry().getValue() + "'); a classification needs at least 2 classes.");
        }
        Map<Object, Integer> index = new HashMap<>();
        List<String> classNames = new ArrayList<>();
        for (Map.Entry<Object, String> e : distinct.entrySet()) {
            index.put(e.getKey(), classNames.size());
            classNames.add(e.getValue());
        }
        int[] y = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            y[i] = index.get(numeric ? (Object) Double.valueOf(labels[i]) : labels[i]);
        }
        return new Table(new Examples(x, y, d, classNames.size()), featureNames, classNames);
    }

    private static boolean isNumber(String s) {
        try {
            return Double.isFinite(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** One feature cell as a finite float, or an error naming the column, file and row. */
    private static float number(Object cell, String column, String path, int row) {
        double value;
        String text;
        if (cell == null) {
            throw missing(column, path, row);
        }
        if (cell instanceof Number number) {
            value = number.doubleValue();
            text = cell.toString();
        } else {
            text = cell.toString().strip();
            if (text.isEmpty()) {
                throw missing(column, path, row);
            }
            try {
                value = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("dataset column '" + column + "' of '" + path + "' is not numeric (row "
                        + (row + 1) + " has '" + text + "').");
            }
        }
        float f = (float) value;
        if (!Float.isFinite(f)) {
            throw new IllegalArgumentException("dataset column '" + column + "' of '" + path + "' has a value in row "
                    + (row + 1) + " ('" + text + "') that is not a finite 32-bit number.");
        }
        return f;
    }

    private static IllegalArgumentException missing(String column, String path, int row) {
        return new IllegalArgumentException("dataset column '" + column + "' of '" + path + "' has a missing value in row "
                + (row + 1) + ".");
    }

    /** Checks existence with Hadoop's FileSystem so that hdfs:, s3a: and friends work like local paths. */
    private static void checkExists(SparkSession spark, String path) {
        boolean exists;
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            exists = fs.exists(p);
        } catch (Exception e) {
            throw unreadable(path, e);
        }
        if (!exists) {
            throw new IllegalArgumentException("dataset.path '" + path + "' does not exist.");
        }
    }

    /**
     * Spark wraps the useful message (e.g. "... is not a Parquet file") in layers of job-failure text; report the
     * innermost message, on one line.
     */
    private static IllegalArgumentException unreadable(String path, Exception e) {
        Throwable t = e;
        String reason = null;
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                reason = t.getMessage();
            }
        }
        if (reason == null) {
            reason = e.getClass().getSimpleName();
        }
        reason = reason.strip().replaceAll("\\s*\\R\\s*", " ");
        if (reason.length() > 300) {
            reason = reason.substring(0, 297) + "...";
        }
        return new IllegalArgumentException("dataset.path '" + path + "' cannot be read: " + reason, e);
    }
}
