package io.gradflow.store;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataset's schema and its conversion from row objects to Spark rows.
 *
 * @param name    dataset name, also its folder under the sweep directory
 * @param doc     what one row is
 * @param columns the columns in order
 * @param <T>     the row object
 */
public record Table<T>(String name, String doc, List<Column<T>> columns) {

    public StructType schema() {
        List<StructField> fields = new ArrayList<>();
        for (Column<T> c : columns) {
            fields.add(DataTypes.createStructField(c.name(), c.type(), c.nullable()));
        }
        return DataTypes.createStructType(fields);
    }

    /** Converts one row object; NaN and infinite doubles become null, so SQL aggregates skip them. */
    public Row toRow(T value) {
        Object[] out = new Object[columns.size()];
        for (int i = 0; i < out.length; i++) {
            Column<T> c = columns.get(i);
            Object v = c.getter().apply(value);
            if (v instanceof Double d && !Double.isFinite(d)) {
                v = null;
            }
            if (v == null && !c.nullable()) {
                throw new IllegalStateException("column " + name + "." + c.name() + " is null for a row; it must not be");
            }
            out[i] = v;
        }
        return RowFactory.create(out);
    }

    public List<Row> toRows(List<T> values) {
        List<Row> rows = new ArrayList<>(values.size());
        for (T v : values) {
            rows.add(toRow(v));
        }
        return rows;
    }

    public List<String> columnNames() {
        return columns.stream().map(Column::name).toList();
    }
}
