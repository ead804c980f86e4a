package io.gradflow.analysis;

/**
 * The mean of a sample with its standard deviation and two-sided 95% confidence interval:
 * mean ± t_{0.975, n−1} · sd / √n, sd with the n − 1 denominator. Non-finite inputs (a failed trial's missing
 * flow, a loss that never reached the target) are left out before anything is computed; {@code n} counts what
 * remains. With n = 1 the deviation and interval are NaN (stored as null); with n = 0 the mean is NaN too. Sums
 * are exact ({@link ExactSum}), so an estimate does not depend on the order of its values.
 *
 * @param n      finite values used
 * @param mean   their mean
 * @param sd     sample standard deviation (n − 1 denominator)
 * @param ciLow  lower end of the 95% interval for the mean
 * @param ciHigh upper end
 */
public record Estimate(int n, double mean, double sd, double ciLow, double ciHigh) {

    public static final Estimate EMPTY = new Estimate(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    public static Estimate of(double... values) {
        ExactSum acc = new ExactSum();
        for (double v : values) {
            acc.add(v);
        }
        return of(acc);
    }

    /** The estimate of the values summed in {@code acc}. */
    public static Estimate of(ExactSum acc) {
        return of(acc.count(), acc.mean(), Math.sqrt(acc.variance()));
    }

    /**
     * The estimate of {@code n} values with this mean and sample deviation, as {@link ExactSum} gives them (on the
     * driver or from a Spark aggregation): the interval is mean ± t_{0.975, n−1} · sd / √n.
     */
    public static Estimate of(long n, double mean, double sd) {
        if (n == 0) {
            return EMPTY;
        }
        if (n == 1) {
            return new Estimate(1, mean, Double.NaN, Double.NaN, Double.NaN);
        }
        double half = TDist.t975(n - 1) * sd / Math.sqrt(n);
        return new Estimate(Math.toIntExact(n), mean, sd, mean - half, mean + half);
    }

    /**
     * The same estimate with its interval clipped to [{@code lowest}, {@code highest}], the range the outcome can
     * take (e.g. [0, 1] for an accuracy): a t interval knows nothing of bounds and runs past them when the seeds
     * agree closely near a bound.
     */
    public Estimate clipped(double lowest, double highest) {
        if (!Double.isFinite(ciLow)) {
            return this;
        }
        return new Estimate(n, mean, sd, Math.max(lowest, Math.min(highest, ciLow)), Math.min(highest, Math.max(lowest, ciHigh)));
    }

    /** Half the interval's width; NaN without an interval. */
    public double halfWidth() {
        return (ciHigh - ciLow) / 2;
    }
}
