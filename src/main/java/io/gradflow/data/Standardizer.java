package io.gradflow.data;

/**
 * Per-feature standardization {@code (x - mean) / std}. Fitted on the training part only, so no statistic of the
 * held-out examples leaks into training; the same transform is then applied to both parts.
 *
 * @param mean per-feature mean of the fitted data
 * @param std  per-feature population standard deviation of the fitted data; 1 for a constant feature
 */
public record Standardizer(double[] mean, double[] std) {

    public Standardizer {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("standardizer needs one mean and one std per feature, got "
                    + mean.length + " and " + std.length + ".");
        }
    }

    /**
     * Fits means and population standard deviations (divisor n) column by column. A constant column gets std 1 and
     * its value as the mean, so it standardizes to exactly 0 instead of dividing by zero (or by rounding noise).
     *
     * @param x        row-major values, a whole number of rows
     * @param features number of columns
     */
    public static Standardizer fit(float[] x, int features) {
        if (features < 1 || x.length == 0 || x.length % features != 0) {
            throw new IllegalArgumentException("standardizer needs at least one row of " + features
                    + " features, got " + x.length + " values.");
        }
        int n = x.length / features;
        double[] mean = new double[features];
        double[] std = new double[features];
        for (int j = 0; j < features; j++) {
            float min = x[j];
            float max = x[j];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float v = x[i * features + j];
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            if (min == max) {
                mean[j] = min;
                std[j] = 1;
                continue;
            }
            double m = sum / n;
            // Two passes: summing squared deviations is stable where E[x^2] - E[x]^2 cancels catastrophically.
            double ss = 0;
            for (int i = 0; i < n; i++) {
                double dev = x[i * features + j] - m;
                ss += dev * dev;
            }
            mean[j] = m;
            std[j] = Math.sqrt(ss / n);
        }
        return new Standardizer(mean, std);
    }

    /** Number of features this transform expects. */
    public int features() {
        return mean.length;
    }

    /** Returns a standardized copy of row-major {@code x}; the input is left unchanged. */
    public float[] apply(float[] x) {
        int d = mean.length;
        if (x.length % d != 0) {
            throw new IllegalArgumentException("standardizer expects rows of " + d + " features, got " + x.length + " values.");
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int j = i % d;
            out[i] = (float) ((x[i] - mean[j]) / std[j]);
        }
        return out;
    }
}
