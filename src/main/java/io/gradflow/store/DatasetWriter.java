package io.gradflow.store;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.util.List;

/** Writes row objects as a Parquet dataset with the schema of their {@link Table}. */
public final class DatasetWriter {

    /** Rows per file (and per write task): keeps each task's shipped data small on large sweeps. */
    static final int ROWS_PER_FILE = 50_000;

    private DatasetWriter() {
    }

    /** Writes {@code values} to {@code path} as ⌈rows / 50,000⌉ Parquet files (at least one). */
    public static <T> void write(SparkSession spark, Table<T> table, List<T> values, String path) {
        List<Row> rows = table.toRows(values);
        int files = Math.max(1, (rows.size() + ROWS_PER_FILE - 1) / ROWS_PER_FILE);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Dataset<Row> df = spark.createDataFrame(jsc.parallelize(rows, files), table.schema());
        df.write().mode(SaveMode.ErrorIfExists).parquet(path);
    }

    /** {@link #write} on the driver, without a Spark job: the same rows in the same files ({@link LocalParquet}). */
    public static <T> void writeLocal(org.apache.hadoop.conf.Configuration conf, Table<T> table, List<T> values,
                                      org.apache.hadoop.fs.Path path, LocalParquet.Settings settings) {
        List<Row> rows = table.toRows(values);
        int files = Math.max(1, (rows.size() + ROWS_PER_FILE - 1) / ROWS_PER_FILE);
        LocalParquet.writeDataset(conf, path, table.schema(), rows, files, settings);
    }
}
