package io.gradflow.store;

import org.apache.spark.sql.types.DataType;

import java.util.function.Function;

/**
 * One column of a dataset: its name, Spark type, whether it may be null, what it means, and how to read it
 * from a row value.
 *
 * @param name     snake_case column name
 * @param type     Spark SQL type (maps to the Parquet type)
 * @param nullable whether the column may hold nulls
 * @param doc      one sentence: what the value means (rendered into the README)
 * @param getter   extracts the value from a row object; NaN doubles are stored as null
 * @param <T>      the row object
 */
public record Column<T>(String name, DataType type, boolean nullable, String doc, Function<T, Object> getter) {
}
