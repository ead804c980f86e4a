package io.gradflow.store;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.util.List;

/** Writes row objects as a Parquet dataset with the schema of their {@link Table}. */
public final class DatasetWriter {

    private DatasetWriter() {
    }

    /**
     * Writes {@code values} to {@code path}. The rows come from the driver, so the data set is small enough
     * to write as a few files; {@code files} caps how many.
     */
    public static <T> void write(SparkSession spark, Table<T> table, List<T> values, String path, int files) {
        Dataset<Row> df = spark.createDataFrame(table.toRows(values), table.schema());
        df.coalesce(Math.max(1, files)).write().mode(SaveMode.ErrorIfExists).parquet(path);
    }
}
