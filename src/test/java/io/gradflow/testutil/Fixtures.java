package io.gradflow.testutil;

import io.gradflow.data.Dataset;
import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetSpec;
import io.gradflow.grid.Activation;
import io.gradflow.grid.HealthThresholds;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Optimizer;
import io.gradflow.grid.Precision;
import io.gradflow.grid.StatsSchedule;
import io.gradflow.grid.TrialConfig;

import java.util.SplittableRandom;

/** Small configurations and data made in code, shared by tests. */
public final class Fixtures {

    private Fixtures() {
    }

    public static DatasetSpec blobsSpec() {
        return new DatasetSpec(DatasetKind.BLOBS, 200, 3, 4, 1.0, 0.25, 3, null, null);
    }

    /** A trial with the given block kind; small enough to train in well under a second. */
    public static TrialConfig trial(Activation act, InitSpec init, boolean bn, boolean residual, int depth, int steps) {
        return new TrialConfig(act, init, bn, residual, depth, 16, steps, 32, Optimizer.SGD, 0.05, Precision.FLOAT, 1,
                blobsSpec(), StatsSchedule.log2(), 0.5, HealthThresholds.defaults());
    }

    /** Gaussian blobs around three separated centres: learnable, deterministic. */
    public static Dataset blobs(int n, int features, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < features; j++) {
                x[i * features + j] = (float) ((j % classes == y[i] ? 2.0 : 0.0) + r.nextGaussian());
            }
        }
        int test = n / 4;
        float[] trX = new float[(n - test) * features];
        float[] teX = new float[test * features];
        System.arraycopy(x, 0, teX, 0, teX.length);
        System.arraycopy(x, teX.length, trX, 0, trX.length);
        int[] teY = java.util.Arrays.copyOfRange(y, 0, test);
        int[] trY = java.util.Arrays.copyOfRange(y, test, n);
        return new Dataset("blobs-test", features, classes, trX, trY, teX, teY);
    }
}
