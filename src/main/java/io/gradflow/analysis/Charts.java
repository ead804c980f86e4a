package io.gradflow.analysis;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The report's charts, built with XChart and rendered to PNG at twice their displayed size (sharp on HiDPI). */
final class Charts {

    /** A rendered chart: base64 PNG and its display size in CSS pixels. */
    record Png(String base64, int width, int height) {
    }

    /** Colour-blind-safe qualitative palette (Okabe–Ito), then greys. */
    static final Color[] SERIES = {new Color(0x000000), new Color(0xE69F00), new Color(0x56B4E9), new Color(0x009E73),
            new Color(0xD55E00), new Color(0x0072B2), new Color(0xCC79A7), new Color(0xF0E442), new Color(0x999999),
            new Color(0x666666)};

    /** Viridis stops: dark = small gradient norm, yellow = large. */
    static final Color[] VIRIDIS = {new Color(0x440154), new Color(0x482878), new Color(0x3E4A89), new Color(0x31688E),
            new Color(0x26828E), new Color(0x1F9E89), new Color(0x35B779), new Color(0x6DCD59), new Color(0xB4DE2C),
            new Color(0xFDE725)};

    /** The series name of a bar chart without a legend. */
    static final String SINGLE = "mean paired difference";

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font TEXT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 10);

    private Charts() {
    }

    private static void style(AxesChartStyler s) {
        s.setLocale(java.util.Locale.ROOT);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(TITLE);
        s.setLegendFont(TEXT);
        s.setAxisTitleFont(TEXT);
        s.setAxisTickLabelsFont(SMALL);
        s.setLegendBorderColor(new Color(0xDDDDDD));
        s.setSeriesColors(SERIES);
        s.setAntiAlias(true);
        s.setChartPadding(8);
        s.setPlotGridLinesColor(new Color(0xE6E6E6));
    }

    /**
     * Heatmap of log10‖δ_l‖: one column per combination, one row per block; a shared colour range so the
     * panels of one sweep compare.
     */
    static Png heatmap(String title, List<String> columns, int depth, List<double[]> values, double min, double max) {
        int w = Math.min(1600, Math.max(560, 190 + 16 * columns.size()));
        int longest = columns.stream().mapToInt(String::length).max().orElse(10);
        int h = Math.min(900, Math.max(300, 150 + 6 * longest + Math.min(16, Math.max(8, 300 / depth)) * depth));
        // XChart's own heatmap legend labels only the two ends of the scale; draw a colour bar with a tick at every
        // decade (every second or fifth on wide scales) in a strip to the right instead.
        int plotW = w - LEGEND_W;
        HeatMapChart c = new HeatMapChart(plotW, h);
        // XChart 3.8.8's HeatMapChart never applies its theme, leaving fonts, colours and visibility unset: apply it.
        c.getStyler().setTheme(new org.knowm.xchart.style.theme.XChartTheme());
        c.setTitle(title);
        c.setXAxisTitle("combination");
        c.setYAxisTitle("block (1 = next to the input)");
        var s = c.getStyler();
        style(s);
        s.setPlotBorderVisible(false);
        s.setXAxisLabelRotation(90);
        s.setRangeColors(VIRIDIS);
        s.setMin(min);
        s.setMax(max);
        s.setLegendVisible(false);
        s.setShowValue(false);
        s.setHeatMapDecimalValueFormatter(v -> String.format(java.util.Locale.ROOT, "%.1f", v));
        s.setGradientColorColumnHeight(Math.max(120, h - 260));
        List<Integer> blocks = new ArrayList<>();
        for (int b = 1; b <= depth; b++) {
            blocks.add(b);
        }
        List<Number[]> cells = new ArrayList<>();
        for (int x = 0; x < columns.size(); x++) {
            double[] v = values.get(x);
            for (int b = 0; b < depth && b < v.length; b++) {
                if (Double.isFinite(v[b])) {
                    cells.add(new Number[]{x, b, v[b]});
                }
            }
        }
        c.addSeries("log10 ‖δ‖", columns, blocks, cells);
        return render(c, plotW, w, h, g -> colourBar(g, plotW, h, min, max));
    }

    /** Width of the colour-bar strip right of a heatmap, in CSS pixels. */
    static final int LEGEND_W = 96;

    /** Integer decades between min and max, at most about ten of them, as the colour bar's ticks. */
    static List<Double> ticks(double min, double max) {
        double range = max - min;
        double step = range <= 10 ? 1 : range <= 20 ? 2 : range <= 50 ? 5 : Math.ceil(range / 10);
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) {
            out.add(t);
        }
        return out;
    }

    private static void colourBar(Graphics2D g, int x0, int h, double min, double max) {
        int top = 40;
        int barH = Math.max(100, h - 2 * top - 20);
        int barX = x0 + 10;
        int barW = 16;
        g.setFont(SMALL);
        g.setColor(new Color(0x333333));
        g.drawString("log10 ‖δ‖", barX - 4, top - 10);
        for (int y = 0; y < barH; y++) {
            double f = 1 - y / (double) (barH - 1);
            g.setColor(viridis(f));
            g.fillRect(barX, top + y, barW, 1);
        }
        g.setColor(new Color(0x666666));
        g.setStroke(new BasicStroke(1f));
        g.drawRect(barX, top, barW, barH - 1);
        for (double t : ticks(min, max)) {
            int y = top + (int) Math.round((1 - (t - min) / (max - min)) * (barH - 1));
            g.drawLine(barX + barW, y, barX + barW + 4, y);
            g.drawString(String.format(java.util.Locale.ROOT, "%.0f", t), barX + barW + 7, y + 4);
        }
    }

    /** The viridis colour at fraction f of the scale (0 = dark, 1 = yellow), linear between the stops. */
    static Color viridis(double f) {
        double p = Math.max(0, Math.min(1, f)) * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) Math.floor(p));
        double t = p - i;
        Color a = VIRIDIS[i];
        Color b = VIRIDIS[i + 1];
        return new Color((int) Math.round(a.getRed() + t * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + t * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + t * (b.getBlue() - a.getBlue())));
    }

    /** Lines of y against x, one per series; NaN points are left out (a series with none is dropped). */
    static Png lines(String title, String xTitle, String yTitle, Map<String, double[][]> series, int w, int h, boolean logY) {
        XYChart c = new XYChart(w, h);
        c.setTitle(title);
        c.setXAxisTitle(xTitle);
        c.setYAxisTitle(yTitle);
        var s = c.getStyler();
        style(s);
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setMarkerSize(4);
        s.setYAxisLogarithmic(logY);
        s.setYAxisDecimalPattern(logY ? "0.0##" : "0.0#");
        // x is a step or block index: no thousands separators (they made "1,0501,200" of adjacent labels), and
        // labels of four or more digits are slanted: XChart 3.8 places about 15 ticks whatever the spacing hint says.
        s.setXAxisDecimalPattern("#0");
        double maxX = series.values().stream().flatMapToDouble(p -> java.util.Arrays.stream(p[0]))
                .filter(Double::isFinite).max().orElse(0);
        if (maxX >= 1000) {
            s.setXAxisLabelRotation(45);
        }
        int i = 0;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            double[][] p = e.getValue();
            for (int k = 0; k < p[0].length; k++) {
                if (Double.isFinite(p[1][k]) && (!logY || p[1][k] > 0)) {
                    xs.add(p[0][k]);
                    ys.add(p[1][k]);
                }
            }
            if (xs.isEmpty()) {
                i++;
                continue;
            }
            XYSeries xy = c.addSeries(e.getKey(), xs, ys);
            xy.setMarker(xs.size() > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            xy.setLineColor(SERIES[i % SERIES.length]);
            xy.setMarkerColor(SERIES[i % SERIES.length]);
            xy.setLineWidth(i == 0 ? 2.6f : 1.6f);
            if (i == 0) {
                xy.setLineStyle(new BasicStroke(2.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10, new float[]{6, 3}, 0));
            }
            i++;
        }
        if (c.getSeriesMap().isEmpty()) {
            c.addSeries("no data", new double[]{0}, new double[]{0}).setMarker(SeriesMarkers.NONE);
        }
        return render(c, w, h);
    }

    /**
     * Grouped bars with 95% interval whiskers. {@code means[s][k]} and {@code halfWidths[s][k]} for series s and
     * category k; NaN means are drawn as 0-height bars, NaN half widths as no whisker.
     */
    static Png bars(String title, String yTitle, List<String> categories, List<String> seriesNames, double[][] means,
                    double[][] halfWidths, int w, int h) {
        CategoryChart c = new CategoryChart(w, h);
        c.setTitle(title);
        c.setYAxisTitle(yTitle);
        var s = c.getStyler();
        style(s);
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendVisible(!seriesNames.equals(List.of(SINGLE)));
        int labelChars = categories.stream().mapToInt(String::length).sum();
        s.setXAxisLabelRotation(labelChars * 7 > w * 0.8 ? 30 : 0);
        s.setErrorBarsColor(new Color(0x333333));
        s.setOverlapped(false);
        s.setAvailableSpaceFill(0.8);
        s.setYAxisDecimalPattern("0.0#");
        Color[] colors = seriesNames.size() == 1 ? new Color[]{new Color(0x0072B2)} : java.util.Arrays.copyOfRange(SERIES, 1, SERIES.length);
        s.setSeriesColors(colors);
        for (int i = 0; i < seriesNames.size(); i++) {
            List<Double> m = new ArrayList<>();
            List<Double> e = new ArrayList<>();
            for (int k = 0; k < categories.size(); k++) {
                m.add(Double.isFinite(means[i][k]) ? means[i][k] : 0.0);
                e.add(Double.isFinite(halfWidths[i][k]) ? halfWidths[i][k] : 0.0);
            }
            c.addSeries(seriesNames.get(i), categories, m, e);
        }
        return render(c, w, h);
    }

    static <T extends Chart<?, ?>> Png render(T chart, int w, int h) {
        return render(chart, w, w, h, g -> { });
    }

    /** Paints the chart into the left {@code chartW} of a {@code w} × {@code h} image, then {@code extra} on top. */
    static <T extends Chart<?, ?>> Png render(T chart, int chartW, int w, int h, java.util.function.Consumer<Graphics2D> extra) {
        BufferedImage img = new BufferedImage(2 * w, 2 * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 2 * w, 2 * h);
            g.scale(2, 2);
            chart.paint(g, chartW, h);
            extra.accept(g);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode a chart as PNG", e);
        }
        return new Png(Base64.getEncoder().encodeToString(bytes.toByteArray()), w, h);
    }
}
