package io.gradflow.cli;

import io.gradflow.analysis.Plural;
import io.gradflow.grid.Axis;
import io.gradflow.grid.GridSpec;
import io.gradflow.store.LocalParquet;
import io.gradflow.store.Parts;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The per-trial table the sweep prints: one column per varied axis (every axis the grid lists with more than one
 * value, in grid order), then the seed and the trial's outcomes. Axes the grid does not vary are the same on every
 * row and are left out; an axis that does vary is never left out, or two different trials would print alike.
 */
final class TrialTable {

    /** Rows printed at most; the rest are in the trials dataset. */
    static final int MAX_ROWS = 60;

    private static final List<String> OUTCOMES = List.of("seed", "verdict", "flow_log10_delta_init",
            "flow_log10_delta_train", "test_accuracy", "wall_time_ms");
    private static final List<String> OUTCOME_HEADERS = List.of("seed", "verdict", "flow_init", "flow_train", "test_acc", "secs");

    private TrialTable() {
    }

    /** The varied axes of a grid, in grid order. */
    static List<String> variedAxes(GridSpec g) {
        List<String> out = new ArrayList<>();
        g.axes().forEach((axis, values) -> {
            if (values.stream().map(Axis::render).distinct().count() > 1) {
                out.add(axis.key());
            }
        });
        return out;
    }

    /** Reads the first {@value #MAX_ROWS} trials of a written sweep, ordered by the varied axes and the seed. */
    static String read(SparkSession spark, String sweepDir, GridSpec g, long total) {
        List<String> axes = variedAxes(g);
        List<String> columns = new ArrayList<>(axes.stream().map(TrialTable::column).toList());
        columns.addAll(OUTCOMES);
        List<String> order = new ArrayList<>(axes.stream().map(TrialTable::column).toList());
        order.add("seed");
        List<Row> rows = onDriver(spark, sweepDir)
                ? readOnDriver(spark.sparkContext().hadoopConfiguration(), sweepDir, columns, order.size())
                : spark.read().parquet(sweepDir + "/trials")
                .selectExpr(columns.toArray(String[]::new))
                .orderBy(order.get(0), order.subList(1, order.size()).toArray(String[]::new))
                .limit(MAX_ROWS).collectAsList();
        return render(axes, rows, total);
    }

    /** A trials dataset within {@link Parts#DRIVER_MAX_ROWS_CONF} rows (by its footers) is read here, not by Spark. */
    private static boolean onDriver(SparkSession spark, String sweepDir) {
        long max = Parts.driverMaxRows(spark);
        if (max == 0) {
            return false;
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path p = new Path(sweepDir, "trials");
        try {
            return LocalParquet.count(conf, LocalParquet.dataFiles(p.getFileSystem(conf), p)).rows() <= max;
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + p, e);
        }
    }

    /** The Spark query's rows, read and ordered on the driver: ascending, nulls first, by the first {@code keys}. */
    private static List<Row> readOnDriver(Configuration conf, String sweepDir, List<String> columns, int keys) {
        Path p = new Path(sweepDir, "trials");
        List<Row> all;
        try {
            List<Path> files = LocalParquet.dataFiles(p.getFileSystem(conf), p);
            if (files.isEmpty()) {
                return List.of();
            }
            StructType schema = LocalParquet.schemaOf(conf, files.get(0));
            StructType wanted = new StructType();
            for (String c : columns) {
                wanted = wanted.add(schema.apply(c)); // a missing column fails here, as Spark's selectExpr would
            }
            all = new ArrayList<>();
            for (Path f : files) {
                all.addAll(LocalParquet.read(conf, f, wanted));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + p, e);
        }
        Comparator<Row> order = (a, b) -> {
            for (int i = 0; i < keys; i++) {
                int c = compareSql(a.get(i), b.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        };
        all.sort(order);
        return all.subList(0, Math.min(MAX_ROWS, all.size()));
    }

    /** Spark SQL's ascending order: nulls first, NaN above every number, -0.0 equal to 0.0. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareSql(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof Double x && b instanceof Double y) {
            return x.doubleValue() == y.doubleValue() ? 0 : Double.compare(x, y);
        }
        return ((Comparable) a).compareTo(b);
    }

    /**
     * Renders rows whose columns are the varied axes, then seed, verdict, flow_log10_delta_init,
     * flow_log10_delta_train, test_accuracy and wall_time_ms.
     *
     * @param total the number of trials written, to say when only the first rows are shown
     */
    static String render(List<String> axes, List<Row> rows, long total) {
        List<String> header = new ArrayList<>();
        axes.forEach(a -> header.add(header(a)));
        header.addAll(OUTCOME_HEADERS);
        List<List<String>> cells = new ArrayList<>();
        int k = axes.size();
        for (Row r : rows) {
            List<String> c = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Object v = r.get(i);
                String text = String.valueOf(v);
                // residual_form spells the unit and absent skip connections true and false, like the boolean axes
                c.add(v instanceof Boolean b ? (b ? "yes" : "no")
                        : text.equals("true") ? "yes" : text.equals("false") ? "no" : text);
            }
            c.add(Long.toString(r.getLong(k)));
            c.add(r.getString(k + 1));
            c.add(num(r, k + 2));
            c.add(num(r, k + 3));
            c.add(num(r, k + 4));
            c.add(String.format(Locale.ROOT, "%.1f", r.getLong(k + 5) / 1000.0));
            cells.add(c);
        }
        StringBuilder sb = new StringBuilder(TextTable.render(header, cells));
        if (total > rows.size()) {
            sb.append("(first ").append(rows.size()).append(" of ").append(Plural.of(total, "trial")).append(")\n");
        }
        return sb.toString();
    }

    /** The trials column that holds an axis: the residual axis' value is `residual_form` (`residual` is a boolean). */
    private static String column(String axis) {
        return axis.equals("residual") ? "residual_form" : axis;
    }

    /** Short headers for the long axis names; the rest as in the grid file. */
    private static String header(String axis) {
        return switch (axis) {
            case "batchnorm" -> "bn";
            case "residual" -> "res";
            case "learning_rate" -> "lr";
            default -> axis;
        };
    }

    private static String num(Row r, int i) {
        return r.isNullAt(i) ? "-" : String.format(Locale.ROOT, "%.2f", r.getDouble(i));
    }
}
