package io.gradflow.trial;

/**
 * Pure statistics over plain arrays, so that every definition in the README is unit-tested on hand-computed
 * inputs without DL4J or Spark. All accumulate in double. Norms are Euclidean norms (not squared) unless the
 * name says otherwise. Non-finite entries propagate into norms and means (a NaN gradient must be visible),
 * and are counted separately by {@link #nonFiniteCount}.
 */
public final class Stats {

    private Stats() {
    }

    /** ‖x‖₂ = sqrt(Σ x²), computed with scaling so that large finite values do not overflow. 0 for empty. */
    public static double l2(double[] x) {
        return l2(x, x.length);
    }

    /** {@link #l2(double[])} of the first {@code n} entries. */
    public static double l2(double[] x, int n) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            double v = x[i];
            if (Double.isNaN(v)) {
                return Double.NaN;
            }
            max = Math.max(max, Math.abs(v));
        }
        return l2GivenMax(x, n, max);
    }

    /**
     * {@link #l2(double[], int)} when {@code max}, the largest |x[i]| of the first {@code n} entries (NaN if any is
     * NaN, 0 if {@code n} is 0), is known already: its second pass alone, so the same bits.
     */
    public static double l2GivenMax(double[] x, int n, double max) {
        if (Double.isNaN(max)) {
            return Double.NaN;
        }
        if (max == 0 || Double.isInfinite(max)) {
            return max;
        }
        // One pass of multiplications by 1/max: no overflow for huge values, no underflow for tiny ones. Values
        // near the subnormal range are lifted first, or 1/max itself would overflow.
        double lift = max < 0x1.0p-500 ? 0x1.0p600 : 1.0;
        double inv = 1.0 / (max * lift);
        double ssq = 0;
        for (int i = 0; i < n; i++) {
            double t = x[i] * lift * inv;
            ssq += t * t;
        }
        return max * Math.sqrt(ssq);
    }

    /**
     * One pass over the first {@code n} entries for what several statistics need: {@code out[0]} the number of
     * non-finite entries ({@link #nonFiniteCount}), {@code out[1]} max |x| (NaN if any entry is NaN or {@code n} is
     * 0, as {@link #maxAbs(double[], int)}), {@code out[2]} Σ|x| in index order (what {@link #meanAbs} divides).
     * Why: the statistics of an armed step went over each gradient and weight array five or six times, each pass
     * bound by one chain of additions; the chains of one pass run side by side. The same bits as the separate
     * functions ({@code StatsTest}).
     */
    public static void absSummary(double[] x, int n, double[] out) {
        long bad = 0;
        double max = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v = x[i];
            double a = Math.abs(v);
            bad += Double.isFinite(v) ? 0 : 1;
            max = Math.max(max, a); // a NaN stays NaN
            sum += a;
        }
        out[0] = bad;
        out[1] = n == 0 ? Double.NaN : max;
        out[2] = sum;
    }

    /** max |x| over the first {@code n} entries when every one is finite, else NaN (0 for none). */
    public static double finiteMaxAbs(double[] x, int n) {
        double max = 0;
        boolean finite = true;
        for (int i = 0; i < n; i++) {
            double v = x[i];
            finite &= Double.isFinite(v);
            max = Math.max(max, Math.abs(v));
        }
        return finite ? max : Double.NaN;
    }

    /**
     * One pass for {@link #mean} and {@link #fractionOutside}: {@code out[0]} Σx in index order, {@code out[1]} the
     * number of entries below {@code low} or above {@code high}. The same bits as the two functions.
     */
    public static void sumAndOutside(double[] x, double low, double high, double[] out) {
        double sum = 0;
        long outside = 0;
        for (double v : x) {
            sum += v;
            outside += v < low || v > high ? 1 : 0;
        }
        out[0] = sum;
        out[1] = outside;
    }

    /** {@link #std} given the mean {@code m} of {@code x} (its second pass alone: the same bits). */
    public static double stdGivenMean(double[] x, double m) {
        if (x.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / x.length);
    }

    /** mean |x|; NaN for an empty array. */
    public static double meanAbs(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double v : x) {
            s += Math.abs(v);
        }
        return s / x.length;
    }

    /** max |x|; NaN if any entry is NaN or the array is empty. */
    public static double maxAbs(double[] x) {
        return maxAbs(x, x.length);
    }

    /** {@link #maxAbs(double[])} of the first {@code n} entries. */
    public static double maxAbs(double[] x, int n) {
        if (n == 0) {
            return Double.NaN;
        }
        double m = 0;
        for (int i = 0; i < n; i++) {
            double v = x[i];
            if (Double.isNaN(v)) {
                return Double.NaN;
            }
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** Number of NaN or infinite entries. */
    public static long nonFiniteCount(double[] x) {
        long n = 0;
        for (double v : x) {
            if (!Double.isFinite(v)) {
                n++;
            }
        }
        return n;
    }

    /** Arithmetic mean; NaN for an empty array. */
    public static double mean(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** Population standard deviation (divides by n), two-pass for accuracy; NaN for an empty array. */
    public static double std(double[] x) {
        if (x.length == 0) {
            return Double.NaN;
        }
        return stdGivenMean(x, mean(x));
    }

    /** Share of entries below {@code low} or above {@code high}; NaN for an empty array. */
    public static double fractionOutside(double[] x, double low, double high) {
        if (x.length == 0) {
            return Double.NaN;
        }
        long n = 0;
        for (double v : x) {
            if (v < low || v > high) {
                n++;
            }
        }
        return (double) n / x.length;
    }

    /**
     * Share of units (columns) that are at or below zero for every example (row) of the batch: units that pass
     * no signal forward and, for ReLU, no gradient back. {@code x} is row-major {@code rows × cols}.
     */
    public static double deadFraction(double[] x, int rows, int cols) {
        if (rows * cols != x.length) {
            throw new IllegalArgumentException("array of " + x.length + " values is not " + rows + " × " + cols);
        }
        if (cols == 0) {
            return Double.NaN;
        }
        int dead = 0;
        for (int c = 0; c < cols; c++) {
            boolean alive = false;
            for (int r = 0; r < rows && !alive; r++) {
                alive = x[r * cols + c] > 0;
            }
            if (!alive) {
                dead++;
            }
        }
        return (double) dead / cols;
    }

    /**
     * log10(first / last): the decades of gradient gained (positive) or lost (negative) from the last hidden
     * block back to the first. NaN when either is not a positive finite number, or with fewer than one block.
     */
    public static double flowLog10(double[] normsByBlock) {
        if (normsByBlock.length == 0) {
            return Double.NaN;
        }
        double first = normsByBlock[0];
        double last = normsByBlock[normsByBlock.length - 1];
        if (!(first > 0) || !(last > 0) || Double.isInfinite(first) || Double.isInfinite(last)) {
            return Double.NaN;
        }
        return Math.log10(first / last);
    }

    /**
     * True when the gradient reached the last hidden block but not the first: the last norm is a positive finite
     * number and the first is exactly 0. In float that is what a flow below about −45 decades looks like (the
     * first block's values fell below the smallest subnormal), so {@link #flowLog10} cannot say how far below;
     * it is the strongest vanishing there is, not an absence of data.
     */
    public static boolean flowUnderflow(double[] normsByBlock) {
        if (normsByBlock.length < 2) {
            return false;
        }
        double last = normsByBlock[normsByBlock.length - 1];
        return normsByBlock[0] == 0.0 && last > 0 && Double.isFinite(last);
    }

    /** True when every entry is a finite number (no NaN, no infinity). */
    public static boolean allFinite(double[] x) {
        for (double v : x) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Least-squares slope of log10(norm) against the block index 1..L: decades per block, positive when norms
     * grow toward the output (vanishing toward the input). NaN with fewer than two blocks or a non-positive norm.
     */
    public static double log10Slope(double[] normsByBlock) {
        int n = normsByBlock.length;
        if (n < 2) {
            return Double.NaN;
        }
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            double v = normsByBlock[i];
            if (!(v > 0) || Double.isInfinite(v)) {
                return Double.NaN;
            }
            double x = i + 1;
            double y = Math.log10(v);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    /** Mean of the finite values; NaN when there are none. */
    public static double meanFinite(double[] x) {
        double s = 0;
        int n = 0;
        for (double v : x) {
            if (Double.isFinite(v)) {
                s += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /**
     * The first step at which the trailing mean of the last {@code window} minibatch losses is at or below
     * {@code target}, or -1 if it never is. Smoothing keeps one lucky minibatch from counting as reaching it.
     */
    public static int stepsToTarget(double[] lossPerStep, double target, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window " + window + " must be at least 1");
        }
        // A fresh sum per window (w is small) so one NaN cannot poison every later window.
        for (int i = window - 1; i < lossPerStep.length; i++) {
            double sum = 0;
            for (int j = i - window + 1; j <= i; j++) {
                sum += lossPerStep[j];
            }
            if (sum / window <= target) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The lowest mean of {@code window} consecutive minibatch losses (finite windows only); NaN when there is
     * no complete finite window.
     */
    public static double minTrailingMean(double[] lossPerStep, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window " + window + " must be at least 1");
        }
        double best = Double.NaN;
        for (int i = window - 1; i < lossPerStep.length; i++) {
            double sum = 0;
            for (int j = i - window + 1; j <= i; j++) {
                sum += lossPerStep[j];
            }
            double m = sum / window;
            if (Double.isFinite(m) && !(m >= best)) {
                best = m;
            }
        }
        return best;
    }
}
