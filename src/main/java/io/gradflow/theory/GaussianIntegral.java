package io.gradflow.theory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.function.DoubleUnaryOperator;

/**
 * Gaussian expectations E[f(z)], z ~ N(0, 1), by globally adaptive Gauss–Kronrod (7/15 points) quadrature, in the
 * manner of QUADPACK's QAG: the piece with the largest error estimate is bisected until the summed error estimate
 * meets the tolerance, within a fixed budget of subdivisions, so that no integrand can make it run for long.
 *
 * <p>The domain, truncated at |z| = {@value #CUTOFF} where the density is below 1e-190, starts out split at
 * <ul>
 *   <li>z = 0: the derivatives of the ReLU family jump there, and a rule with a node on the jump (Gauss–Hermite with
 *       an odd number of nodes) or one that straddles it converges slowly or to the wrong value;</li>
 *   <li>±w·4^k (k = 0, 1, …, up to the cutoff), where w is the z-scale of the integrand's features (1/√q for
 *       f(z) = g(√q z)), and ±4^k from 1 on, the Gaussian's own scale. At large q the mass of φ'(√q z)² sits in
 *       |z| ≲ a few/√q; a rule on [0, 30] has no node there and would report 0 as converged, while the geometric
 *       pieces see a narrow peak and the Gaussian's tail alike from the first estimate on.</li>
 * </ul>
 *
 * <p>Tolerance: the summed |Kronrod − Gauss| estimate must fall below the larger of {@value #REL_TOL} of |E f| and
 * {@value #ABS_FLOOR} of E|f| (the rounding in evaluating f; it decides only where E f cancels to nearly 0). The
 * Kronrod value returned is usually far more accurate than that estimate. Where rounding noise in f keeps the
 * estimate from falling (1 − tanh² where it is noise, say), the budget of {@value #MAX_SUBDIVISIONS} subdivisions
 * ends the work: the value is returned if the estimate is below {@value #ACCEPT_REL} of E|f|, and otherwise an
 * {@link ArithmeticException} says that the integral did not converge.
 */
public final class GaussianIntegral {

    /** Truncation of the domain. Integrands grow at most like z², so the tail is far below any tolerance. */
    static final double CUTOFF = 30.0;
    /** The relative accuracy asked for. */
    static final double REL_TOL = 1e-12;
    /** The absolute floor as a fraction of E|f|: about ten roundings of double precision. */
    static final double ABS_FLOOR = 1e-15;
    /** The accuracy, as a fraction of E|f|, below which a result is still returned when the budget is spent. */
    static final double ACCEPT_REL = 1e-9;
    /** Bisections allowed per integral: at most 30 evaluations each, so a few milliseconds at worst. */
    static final int MAX_SUBDIVISIONS = 2000;
    /** Ratio of successive breakpoints; GK15 on [x, 4x] resolves anything that varies on the scale x. */
    private static final double BREAK_RATIO = 4.0;
    private static final double INV_SQRT_2PI = 0.398942280401432677939946059934;

    // QUADPACK qk15: Kronrod nodes (the odd indices 1, 3, 5, 7 are the 7-point Gauss nodes) and weights.
    private static final double[] XGK = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
            0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
            0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
            0.207784955007898467600689403773245, 0.0};
    private static final double[] WGK = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
            0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
            0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
            0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
    private static final double[] WG = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
            0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

    private GaussianIntegral() {
    }

    /** E[f(z)] for z ~ N(0, 1), for an f whose features are on the scale of the Gaussian itself (see the class). */
    public static double expectation(DoubleUnaryOperator f) {
        return expectation(f, 1.0);
    }

    /**
     * E[f(z)] for z ~ N(0, 1), to the tolerance in the class description.
     *
     * @param f     the integrand; smooth on each side of 0
     * @param scale the z-scale on which f changes, e.g. 1/√q for f(z) = g(√q z) with g varying on the scale 1
     * @throws ArithmeticException where f is not finite or the budget of subdivisions cannot meet the tolerance
     */
    public static double expectation(DoubleUnaryOperator f, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("the integrand's scale " + scale + " must be a positive finite number");
        }
        DoubleUnaryOperator g = z -> f.applyAsDouble(z) * Math.exp(-0.5 * z * z) * INV_SQRT_2PI;
        return integrate(g, breakpoints(scale));
    }

    /** 0, ±min(scale, 1)·4^k below the cutoff and ±cutoff, ascending. */
    static double[] breakpoints(double scale) {
        List<Double> positive = new ArrayList<>();
        for (double x = Math.min(scale, 1.0); x < CUTOFF; x *= BREAK_RATIO) {
            positive.add(x);
        }
        positive.add(CUTOFF);
        double[] points = new double[2 * positive.size() + 1];
        int n = positive.size();
        for (int i = 0; i < n; i++) {
            points[n - 1 - i] = -positive.get(i);
            points[n + 1 + i] = positive.get(i);
        }
        points[n] = 0.0;
        return points;
    }

    /** One piece of the domain with its Kronrod estimate, |Kronrod − Gauss| and the Kronrod estimate of ∫|g|. */
    private record Piece(double a, double b, double value, double error, double abs) {
    }

    /** ∫ g over [points[0], points[last]], starting from the pieces between consecutive points. */
    static double integrate(DoubleUnaryOperator g, double[] points) {
        PriorityQueue<Piece> open = new PriorityQueue<>((x, y) -> Double.compare(y.error, x.error));
        List<Piece> closed = new ArrayList<>(); // too narrow to bisect in double: their error is final
        double value = 0;
        double error = 0;
        double abs = 0;
        for (int i = 0; i + 1 < points.length; i++) {
            Piece p = gk15(g, points[i], points[i + 1]);
            open.add(p);
            value += p.value;
            error += p.error;
            abs += p.abs;
        }
        for (int subdivisions = 0; ; subdivisions++) {
            if (error <= tolerance(value, abs)) {
                // The running sums drift by rounding over many updates; decide on exact ones.
                double[] exact = sums(open, closed);
                value = exact[0];
                error = exact[1];
                abs = exact[2];
                if (error <= tolerance(value, abs)) {
                    return finite(value, error);
                }
            }
            if (subdivisions == MAX_SUBDIVISIONS || open.isEmpty()) {
                break;
            }
            Piece p = open.poll();
            double m = 0.5 * (p.a + p.b);
            if (!(m > p.a && m < p.b)) {
                closed.add(p);
                continue;
            }
            Piece left = gk15(g, p.a, m);
            Piece right = gk15(g, m, p.b);
            open.add(left);
            open.add(right);
            value += left.value + right.value - p.value;
            error += left.error + right.error - p.error;
            abs += left.abs + right.abs - p.abs;
        }
        double[] exact = sums(open, closed);
        if (exact[1] <= ACCEPT_REL * exact[2]) {
            return finite(exact[0], exact[1]);
        }
        throw new ArithmeticException(String.format(Locale.ROOT, "the Gaussian integral did not converge within %d "
                        + "subdivisions: the estimate is %.17g with an error estimate of %.3g, above %.0e of its magnitude %.3g",
                MAX_SUBDIVISIONS, exact[0], exact[1], ACCEPT_REL, exact[2]));
    }

    private static double tolerance(double value, double abs) {
        return Math.max(REL_TOL * Math.abs(value), ABS_FLOOR * abs);
    }

    private static double finite(double value, double error) {
        if (!Double.isFinite(value) || !Double.isFinite(error)) {
            throw new ArithmeticException("the Gaussian integral is " + value + " (error estimate " + error
                    + "): the integrand is not finite on the domain");
        }
        return value;
    }

    /** {Σ value, Σ error, Σ abs} over every piece, summed afresh. */
    private static double[] sums(Iterable<Piece> open, Iterable<Piece> closed) {
        double[] s = new double[3];
        for (Iterable<Piece> pieces : List.of(open, closed)) {
            for (Piece p : pieces) {
                s[0] += p.value;
                s[1] += p.error;
                s[2] += p.abs;
            }
        }
        return s;
    }

    /** GK15 on [a, b]: the Kronrod estimate, |Kronrod − Gauss| and the Kronrod estimate of ∫|g|. */
    private static Piece gk15(DoubleUnaryOperator g, double a, double b) {
        double c = 0.5 * (a + b);
        double h = 0.5 * (b - a);
        double fc = g.applyAsDouble(c);
        double kronrod = fc * WGK[7];
        double gauss = fc * WG[3];
        double abs = Math.abs(fc) * WGK[7];
        for (int j = 0; j < 7; j++) {
            double dx = h * XGK[j];
            double f1 = g.applyAsDouble(c - dx);
            double f2 = g.applyAsDouble(c + dx);
            kronrod += WGK[j] * (f1 + f2);
            abs += WGK[j] * (Math.abs(f1) + Math.abs(f2));
            if (j % 2 == 1) {
                gauss += WG[j / 2] * (f1 + f2);
            }
        }
        return new Piece(a, b, kronrod * h, Math.abs((kronrod - gauss) * h), abs * Math.abs(h));
    }
}
