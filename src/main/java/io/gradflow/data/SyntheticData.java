package io.gradflow.data;

import java.util.Random;

/**
 * Deterministic built-in classification problems. Every generator is a pure function of its arguments: the same
 * arguments give bit-identical arrays on every JVM, which is what lets a trial be reproduced from its config.
 *
 * <p>For every generator {@code noise} is what it looks like: the standard deviation of isotropic Gaussian noise
 * on the observed features, on the scale of the clean data (spiral radius 1, teacher inputs and blob widths with
 * unit variance). Labels come from the clean point, so more noise means more overlap between classes.
 */
public final class SyntheticData {

    /** Turns each spiral arm makes from the centre to radius 1; more turns make the problem harder. */
    static final double SPIRAL_TURNS = 1.5;
    /** Hidden layers of the teacher network: deep enough to give a non-linear, non-trivial decision boundary. */
    static final int TEACHER_DEPTH = 4;
    /** Width of every teacher hidden layer. */
    static final int TEACHER_WIDTH = 32;
    /**
     * Teacher weight scale: weights ~ N(0, GAIN^2 / fan_in). Gain^2 = 2 keeps tanh signals alive through the
     * layers (gain^2 = 1 would shrink them toward a nearly linear function, large gains give chaotic labels).
     */
    static final double TEACHER_GAIN = Math.sqrt(2.0);
    /** Teacher bias std; non-zero so the teacher is not an odd function of its input. */
    static final double TEACHER_BIAS_STD = 0.2;
    /** Inputs used to calibrate the teacher's class offsets; fixed so the labelling does not depend on samples. */
    static final int TEACHER_REFERENCE = 2048;
    /** Standard deviation of blob centres per coordinate: wide enough that unit-width blobs are mostly separable. */
    static final double BLOB_CENTRE_SPREAD = 3.0;

    private SyntheticData() {
    }

    /** Generates the examples a generator spec asks for; file kinds are rejected (they go through the loader). */
    public static Examples generate(DatasetSpec spec) {
        return switch (spec.kind()) {
            case SPIRALS -> spirals(spec.samples(), spec.classes(), spec.noise(), spec.seed());
            case TEACHER -> teacher(spec.samples(), spec.classes(), spec.features(), spec.noise(), spec.seed());
            case BLOBS -> blobs(spec.samples(), spec.classes(), spec.features(), spec.noise(), spec.seed());
            case CSV, PARQUET -> throw new IllegalArgumentException("dataset kind '" + spec.kind().key()
                    + "' is read from a file, not generated.");
        };
    }

    /**
     * {@code classes} interleaved spiral arms in the plane, one class per arm. Arm j starts at the centre and
     * winds {@value #SPIRAL_TURNS} turns out to radius 1, rotated by {@code 2 pi j / classes}; each point sits at a
     * uniformly random position along its arm and gets N(0, noise^2) added to both coordinates. Example i belongs
     * to class {@code i % classes}, so class sizes differ by at most one.
     */
    public static Examples spirals(int samples, int classes, double noise, long seed) {
        check(samples, classes, 2, noise);
        Random along = Streams.of(seed, Streams.SPIRAL_POINTS);
        Random jitter = Streams.of(seed, Streams.SPIRAL_NOISE);
        float[] x = new float[samples * 2];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            int arm = i % classes;
            double t = along.nextDouble();
            double angle = 2 * Math.PI * ((double) arm / classes + SPIRAL_TURNS * t);
            x[2 * i] = (float) (t * Math.cos(angle) + noise * jitter.nextGaussian());
            x[2 * i + 1] = (float) (t * Math.sin(angle) + noise * jitter.nextGaussian());
            y[i] = arm;
        }
        return new Examples(x, y, 2, classes);
    }

    /**
     * Standard Gaussian inputs of {@code features} dimensions labelled by the arg-max of a fixed random deep tanh
     * network ({@value #TEACHER_DEPTH} hidden layers of width {@value #TEACHER_WIDTH}, {@code classes} linear
     * outputs), whose weights depend only on the seed. A raw random network gives very unequal classes, so the
     * teacher's output offsets are calibrated on a fixed reference batch: logits are centred, then nudged until
     * each class wins about equally often. The observed features get N(0, noise^2) added after labelling.
     */
    public static Examples teacher(int samples, int classes, int features, double noise, long seed) {
        check(samples, classes, features, noise);
        Teacher teacher = new Teacher(features, classes, Streams.of(seed, Streams.TEACHER_WEIGHTS));
        teacher.calibrate(gaussian(TEACHER_REFERENCE, features, Streams.of(seed, Streams.TEACHER_REFERENCE)));
        float[] x = gaussian(samples, features, Streams.of(seed, Streams.TEACHER_INPUTS));
        int[] y = teacher.label(x);
        Random jitter = Streams.of(seed, Streams.TEACHER_NOISE);
        if (noise > 0) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (x[i] + noise * jitter.nextGaussian());
            }
        }
        return new Examples(x, y, features, classes);
    }

    /**
     * One isotropic Gaussian blob per class: centres ~ N(0, {@value #BLOB_CENTRE_SPREAD}^2) per coordinate, points
     * ~ N(centre, s^2) with s = noise, or s = 1 when noise is 0 (zero-width blobs would make every example of a
     * class identical, which is no learning problem). Example i belongs to class {@code i % classes}.
     */
    public static Examples blobs(int samples, int classes, int features, double noise, long seed) {
        check(samples, classes, features, noise);
        double spread = noise > 0 ? noise : 1.0;
        float[] centres = gaussian(classes, features, Streams.of(seed, Streams.BLOB_CENTRES));
        Random points = Streams.of(seed, Streams.BLOB_POINTS);
        float[] x = new float[samples * features];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            int c = i % classes;
            for (int j = 0; j < features; j++) {
                x[i * features + j] = (float) (BLOB_CENTRE_SPREAD * centres[c * features + j] + spread * points.nextGaussian());
            }
            y[i] = c;
        }
        return new Examples(x, y, features, classes);
    }

    private static void check(int samples, int classes, int features, double noise) {
        if (samples < 2) {
            throw new IllegalArgumentException("dataset.samples " + samples + " is not allowed; at least 2 are needed.");
        }
        if (classes < 2) {
            throw new IllegalArgumentException("dataset.classes " + classes + " is not allowed; at least 2 are needed.");
        }
        if (features < 1) {
            throw new IllegalArgumentException("dataset.features " + features + " is not allowed; at least 1 is needed.");
        }
        // The features live in one Java array, which holds at most about 2^31 values.
        if ((long) samples * features > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("dataset.samples " + samples + " times dataset.features " + features
                    + " is too large; the data must fit one array of at most " + (Integer.MAX_VALUE - 8) + " values.");
        }
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("dataset.noise " + noise + " is not allowed; it must be a finite number of at least 0.");
        }
    }

    /** n x d standard normal values, row-major. */
    private static float[] gaussian(int n, int d, Random random) {
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /** The teacher network: weights drawn once, computed in double so labels do not hinge on float rounding. */
    private static final class Teacher {
        private final int features;
        private final int classes;
        private final double[][] weights; // layer l: out x in, row-major
        private final double[][] biases;
        private final double[] offsets;

        Teacher(int features, int classes, Random random) {
            this.features = features;
            this.classes = classes;
            this.weights = new double[TEACHER_DEPTH + 1][];
            this.biases = new double[TEACHER_DEPTH + 1][];
            int in = features;
            for (int l = 0; l <= TEACHER_DEPTH; l++) {
                boolean output = l == TEACHER_DEPTH;
                int out = output ? classes : TEACHER_WIDTH;
                double scale = (output ? 1.0 : TEACHER_GAIN) / Math.sqrt(in);
                weights[l] = new double[out * in];
                for (int k = 0; k < weights[l].length; k++) {
                    weights[l][k] = scale * random.nextGaussian();
                }
                biases[l] = new double[out];
                if (!output) {
                    for (int k = 0; k < out; k++) {
                        biases[l][k] = TEACHER_BIAS_STD * random.nextGaussian();
                    }
                }
                in = out;
            }
            this.offsets = new double[classes];
        }

        /** Raw output logits, n x classes, row-major. */
        double[] logits(float[] x) {
            int n = x.length / features;
            double[] out = new double[n * classes];
            // Two ping-pong buffers, each large enough for any layer's input or output.
            int size = Math.max(features, Math.max(classes, TEACHER_WIDTH));
            double[] a = new double[size];
            double[] b = new double[size];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < features; j++) {
                    a[j] = x[i * features + j];
                }
                int in = features;
                for (int l = 0; l <= TEACHER_DEPTH; l++) {
                    boolean output = l == TEACHER_DEPTH;
                    int width = output ? classes : TEACHER_WIDTH;
                    double[] w = weights[l];
                    for (int o = 0; o < width; o++) {
                        double s = biases[l][o];
                        int base = o * in;
                        for (int k = 0; k < in; k++) {
                            s += w[base + k] * a[k];
                        }
                        b[o] = output ? s : Math.tanh(s);
                    }
                    double[] t = a;
                    a = b;
                    b = t;
                    in = width;
                }
                System.arraycopy(a, 0, out, i * classes, classes);
            }
            return out;
        }

        /**
         * Chooses output offsets so that classes win about equally often on the reference inputs: first centre
         * each logit, then repeatedly lower the offset of over-represented classes (a multiplicative-weights
         * step on the log frequency ratio). A fixed number of rounds keeps it deterministic and cheap.
         */
        void calibrate(float[] reference) {
            double[] logits = logits(reference);
            int n = reference.length / features;
            for (int c = 0; c < classes; c++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += logits[i * classes + c];
                }
                offsets[c] = -sum / n;
            }
            double target = (double) n / classes;
            for (int round = 0; round < 200; round++) {
                int[] counts = argmaxCounts(logits, n);
                for (int c = 0; c < classes; c++) {
                    offsets[c] -= 0.05 * Math.log((counts[c] + 1.0) / (target + 1.0));
                }
            }
        }

        private int[] argmaxCounts(double[] logits, int n) {
            int[] counts = new int[classes];
            for (int i = 0; i < n; i++) {
                counts[argmax(logits, i)]++;
            }
            return counts;
        }

        private int argmax(double[] logits, int row) {
            int best = 0;
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double v = logits[row * classes + c] + offsets[c];
                if (v > bestValue) {
                    bestValue = v;
                    best = c;
                }
            }
            return best;
        }

        int[] label(float[] x) {
            int n = x.length / features;
            double[] logits = logits(x);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = argmax(logits, i);
            }
            return y;
        }
    }
}
