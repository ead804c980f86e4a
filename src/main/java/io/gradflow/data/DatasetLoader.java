package io.gradflow.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.Type;
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
 *
 * <p>{@link #check} looks at the file without Spark (existence, the format's first bytes, the header or Parquet
 * footer) so that {@code gradflow grid} can validate a dataset and a mix-up of {@code csv} and {@code parquet} is
 * one line instead of binary "columns" or a Spark stack trace. A relative path is resolved by Hadoop against the
 * working directory of the JVM (the directory the command was started in), not against the grid file.
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

    /**
     * What {@link #check} found.
     *
     * @param qualifiedPath the path as the file system resolved it (a relative path made absolute)
     * @param columns       the column names of the header (CSV) or the footer (Parquet) of the first data file
     */
    public record Checked(String qualifiedPath, List<String> columns) {
        public Checked {
            columns = List.copyOf(columns);
        }
    }

    /** Parquet files start (and end) with these four bytes. */
    private static final byte[] PARQUET_MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private DatasetLoader() {
    }

    /**
     * Checks a file spec without reading the table: the path exists, its first data file is in the format the kind
     * names, and the label is one of its columns.
     *
     * @param spec a CSV or Parquet spec
     * @param conf the Hadoop configuration that resolves the path ({@code new Configuration()} outside Spark)
     * @throws IllegalArgumentException with a one-line message naming the field and the value
     */
    public static Checked check(DatasetSpec spec, Configuration conf) {
        if (!spec.kind().isFile()) {
            throw new IllegalArgumentException("dataset kind '" + spec.kind().key() + "' is generated, not read from a file.");
        }
        String path = spec.path();
        Path p = new Path(path);
        FileSystem fs;
        FileStatus status;
        Path qualified;
        try {
            fs = p.getFileSystem(conf);
            qualified = fs.makeQualified(p);
            status = fs.exists(p) ? fs.getFileStatus(p) : null;
        } catch (IOException | RuntimeException e) {
            throw unreadable(path, e);
        }
        if (status == null) {
            throw new IllegalArgumentException("dataset.path '" + path + "' does not exist"
                    + (p.isAbsolute() || p.toUri().getScheme() != null ? "." : " (a relative path is resolved against the "
                    + "current directory, so it means '" + qualified + "')."));
        }
        Path first = status.isDirectory() ? firstDataFile(fs, p, path) : p;
        byte[] head = head(fs, first, path);
        boolean parquet = startsWith(head, PARQUET_MAGIC);
        List<String> columns;
        if (spec.kind() == DatasetKind.CSV) {
            if (parquet) {
                throw new IllegalArgumentException("dataset.path '" + path + "' is a Parquet file, but dataset.kind is 'csv'; "
                        + "set kind: parquet.");
            }
            if (!looksLikeText(head)) {
                throw new IllegalArgumentException("dataset.path '" + path + "' is not a text file, so it cannot be dataset.kind "
                        + "'csv' (a CSV with a header row).");
            }
            columns = csvHeader(fs, first, path);
        } else {
            if (!parquet) {
                throw new IllegalArgumentException("dataset.path '" + path + "' is not a Parquet file (it does not start with "
                        + "Parquet's 'PAR1' marker), but dataset.kind is 'parquet'"
                        + (looksLikeText(head) ? "; it is text: if it is a CSV, set kind: csv." : "."));
            }
            columns = parquetColumns(conf, first, path);
        }
        if (!columns.contains(spec.label())) {
            throw new IllegalArgumentException(columns.isEmpty()
                    ? "dataset.label '" + spec.label() + "' is not a column of '" + path + "', which has no columns."
                    : "dataset.label '" + spec.label() + "' is not a column of '" + path + "'; its columns are "
                    + String.join(", ", columns) + ".");
        }
        return new Checked(qualified.toString(), columns);
    }

    /** The first file of a directory that Spark would read: names starting with '_' or '.' are not data. */
    private static Path firstDataFile(FileSystem fs, Path dir, String path) {
        FileStatus[] files;
        try {
            files = fs.listStatus(dir, f -> !f.getName().startsWith("_") && !f.getName().startsWith("."));
        } catch (IOException e) {
            throw unreadable(path, e);
        }
        return Arrays.stream(files).filter(FileStatus::isFile).map(FileStatus::getPath).sorted()
                .findFirst().orElseThrow(() -> new IllegalArgumentException("dataset.path '" + path
                        + "' is a directory without data files."));
    }

    private static byte[] head(FileSystem fs, Path file, String path) {
        try (InputStream in = fs.open(file)) {
            return in.readNBytes(512);
        } catch (IOException e) {
            throw unreadable(path, e);
        }
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** No NUL and no control characters other than tab, CR, LF and form feed: binary formats fail this at once. */
    private static boolean looksLikeText(byte[] head) {
        for (byte b : head) {
            int c = b & 0xff;
            if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')) {
                return false;
            }
        }
        return true;
    }

    /** The header row split at commas, surrounding quotes removed (Spark's CSV reader does the full parse later). */
    private static List<String> csvHeader(FileSystem fs, Path file, String path) {
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
            line = r.readLine();
        } catch (IOException e) {
            throw unreadable(path, e);
        }
        List<String> columns = new ArrayList<>();
        if (line == null || line.isBlank()) {
            return columns;
        }
        if (line.startsWith("\uFEFF")) {
            line = line.substring(1);
        }
        for (String c : line.split(",", -1)) {
            String t = c.strip();
            if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
                t = t.substring(1, t.length() - 1);
            }
            columns.add(t);
        }
        return columns;
    }

    private static List<String> parquetColumns(Configuration conf, Path file, String path) {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            return r.getFooter().getFileMetaData().getSchema().getFields().stream().map(Type::getName).toList();
        } catch (IOException | RuntimeException e) {
            throw unreadable(path, e);
        }
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
        // Before Spark sees the file: a wrong kind would print binary "columns" or a long Spark trace.
        check(spec, spark.sparkContext().hadoopConfiguration());
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
        Classes classes = Classes.of(Arrays.asList(labels), label, path);
        java.util.function.ToIntFunction<String> index = classes.indexer();
        int[] y = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            y[i] = index.applyAsInt(labels[i]);
        }
        return new Table(new Examples(x, y, d, classes.names().size()), featureNames, classes.names());
    }

    /**
     * The classes of a label column: its distinct values sorted numerically if all of them are numbers (2 before
     * 10, and "1" and "1.0" the same class), else as text, mapped to 0..k-1. Shared by the collected load and
     * the distributed one ({@code dp.DistributedData}), so both number the classes alike.
     *
     * @param names the label value of each class index, as text
     */
    public record Classes(List<String> names, boolean numeric) implements java.io.Serializable {

        public Classes {
            names = List.copyOf(names);
        }

        /** The classes of the given label values (each value may appear any number of times). */
        public static Classes of(java.util.Collection<String> labels, String label, String path) {
            boolean numeric = labels.stream().allMatch(DatasetLoader::isNumber);
            TreeMap<Object, String> distinct = new TreeMap<>();
            for (String s : labels) {
                distinct.putIfAbsent(numeric ? (Object) Double.valueOf(s) : s, s);
            }
            if (distinct.size() < 2) {
                throw new IllegalArgumentException("dataset.label '" + label + "' of '" + path + "' has "
                        + (distinct.isEmpty() ? "no values" : "only one distinct value ('" + distinct.firstEntry().getValue() + "')")
                        + "; a classification needs at least 2 classes.");
            }
            return new Classes(new ArrayList<>(distinct.values()), numeric);
        }

        /** Maps a label value (stripped text) to its class index, or -1 if it is not one of the classes. */
        public java.util.function.ToIntFunction<String> indexer() {
            Map<Object, Integer> index = new HashMap<>();
            for (int i = 0; i < names.size(); i++) {
                index.put(numeric ? (Object) Double.valueOf(names.get(i)) : names.get(i), i);
            }
            return v -> {
                Object key;
                try {
                    key = numeric ? (Object) Double.valueOf(v) : v;
                } catch (NumberFormatException e) {
                    return -1;
                }
                return index.getOrDefault(key, -1);
            };
        }
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
