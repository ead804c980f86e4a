package io.gradflow.cli;

import io.gradflow.analysis.Plural;
import io.gradflow.grid.Axis;
import io.gradflow.grid.GridSpec;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
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
        List<Row> rows = spark.read().parquet(sweepDir + "/trials")
                .selectExpr(columns.toArray(String[]::new))
                .orderBy(order.get(0), order.subList(1, order.size()).toArray(String[]::new))
                .limit(MAX_ROWS).collectAsList();
        return render(axes, rows, total);
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
