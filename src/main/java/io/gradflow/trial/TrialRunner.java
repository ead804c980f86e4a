package io.gradflow.trial;

import io.gradflow.data.Dataset;
import io.gradflow.grid.Precision;
import io.gradflow.grid.Residual;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.Arrays2;
import io.gradflow.model.Network;
import io.gradflow.model.NetworkFactory;
import io.gradflow.model.Probe;
import io.gradflow.theory.MeanField;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Trains one network for one trial and measures it. Never throws: an exception becomes a FAILED result with
 * the message and a truncated stack trace, a non-finite training loss a DIVERGED result, so one bad trial never
 * stops a sweep. Runs on the calling thread with one native thread; every random choice derives from the
 * trial's seed and shapes ({@link io.gradflow.model.CommonRandom}), so a rerun reproduces the result bit for bit
 * and paired trials share their initial draws and minibatches.
 */
public final class TrialRunner {

    /** Trailing window of minibatch losses that must average at or below the target loss. */
    public static final int TARGET_WINDOW = 10;
    private static final int MAX_STACK_CHARS = 4000;

    /**
     * Nanoseconds this JVM's trials spent recording statistics inside DL4J's fit (the probes and the weight-gradient
     * listener), and in the fit altogether, summed over trials: what {@code gradflow bench} divides to give the
     * statistics' share of training at nanosecond resolution, apart from the sampled steps' test evaluations (which
     * run with and without statistics) and the millisecond rounding of {@code stats_time_ms}. Two adds per trial.
     */
    private static final LongAdder RECORDING_NANOS = new LongAdder();
    private static final LongAdder FIT_NANOS = new LongAdder();

    /** {recording statistics, DL4J's fit in all} in nanoseconds, summed over this JVM's trials so far. */
    public static long[] fitAndRecordingNanos() {
        return new long[]{RECORDING_NANOS.sum(), FIT_NANOS.sum()};
    }

    private TrialRunner() {
    }

    public static TrialResult run(TrialConfig c, Dataset data, RunOptions opts) {
        long wall0 = System.nanoTime();
        Provenance prov = new Provenance(Versions.gradflow(), Versions.dl4j(), opts.sparkVersion(), Versions.java(),
                OpenBlasCore.inUse(), hostName(), opts.executorId(), System.currentTimeMillis());
        String id = c.trialId();
        try {
            NativeThreads.limitToOne();
            if (opts.mustFail(id)) {
                throw new IllegalStateException("trial " + id + " failed on purpose (fault injection: spark.gradflow.inject.fail)");
            }
            checkMemory(c, data);
            return train(c, data, prov, wall0, opts);
        } catch (Exception | OutOfMemoryError | StackOverflowError | AssertionError | LinkageError e) {
            long wall = (System.nanoTime() - wall0) / 1_000_000;
            double[] theory = theory(c, data);
            TrialSummary s = new TrialSummary(c, Verdict.FAILED, oneLine(e), stack(e), 0, false, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, -1, wall, 0, 0, prov, theory[0], theory[1], Double.NaN, Double.NaN, null, 0, Double.NaN);
            return new TrialResult(s, List.of(), List.of());
        } finally {
            // Workspaces belong to the executor thread, which Spark reuses for the next trial: release them now.
            NativeMemory.destroyThreadWorkspaces();
            NativeMemory.collect();
        }
    }

    private static TrialResult train(TrialConfig c, Dataset data, Provenance prov, long wall0, RunOptions opts) {
        DataType dt = c.dtype() == Precision.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        INDArray trainX = matrix(data.trainX(), data.trainSize(), data.features(), dt);
        INDArray testX = matrix(data.testX(), data.testSize(), data.features(), dt);
        Network net = null;
        try {
            net = NetworkFactory.build(c, data.features(), data.classes(), opts.models());
            TrialResult r = train(c, data, net, trainX, testX, prov, wall0, opts.statistics());
            Verdict v = r.summary().verdict();
            if (opts.models() != null && opts.models().writes() && v != Verdict.DIVERGED && v != Verdict.FAILED) {
                // before the row is committed: a row of a sweep with outputs.models has its model
                opts.models().write(c, net.graph(), v.name());
            }
            return r;
        } finally {
            // The trial's large buffers go now, not whenever a full collection finds them.
            NativeMemory.release(net == null ? null : net.graph());
            NativeMemory.close(trainX, testX);
        }
    }

    private static TrialResult train(TrialConfig c, Dataset data, Network net, INDArray trainX,
                                     INDArray testX, Provenance prov, long wall0, boolean statistics) {
        int[] testY = data.testY();
        ComputationGraph g = net.graph();
        Probe probe = net.probe();
        // Greedy layer-wise pretraining happens before anything is recorded: step 0 is the start of fine-tuning, so
        // a pretrained trial's flow "at init" compares directly with an unpretrained one's.
        Pretrainer.Outcome pre = Pretrainer.run(c, g, trainX);
        GradientFlowListener listener = new GradientFlowListener(probe);
        // DL4J calls the listeners in this order between backpropagation and the updater: the statistics first, so
        // they record the raw gradient, then the clipping, so the updater sees the clipped one.
        GradientClipping clipping = new GradientClipping(c.clip());
        if (statistics) {
            g.setListeners(listener, clipping);
        } else {
            g.setListeners(clipping);
        }
        String id = c.trialId();
        int depth = c.depth();

        int[] sampled = c.schedule().steps(c.steps());
        List<LayerStat> layerStats = new ArrayList<>(sampled.length * depth);
        List<CurvePoint> curve = new ArrayList<>();
        double[] losses = new double[c.steps()];
        List<double[]> deltaFlows = new ArrayList<>(); // {step, flowDelta, flowGrad, slopeDelta, flowDeltaOut}
        boolean underflow = false;
        double flowDeltaOutInit = Double.NaN;
        long nonFinite = 0;
        long fitNanos = 0;
        long evalNanos = 0;
        long probeNanos0 = probe.nanos();

        int n = data.trainSize();
        int batch = Math.min(c.batchSize(), n);
        // Common random numbers: the order depends on the seed and the shapes only, so paired trials share it.
        SplittableRandom rnd = new SplittableRandom(io.gradflow.model.CommonRandom.minibatches(c.seed(), n, batch));
        int[] perm = permutation(n, rnd);
        int[] idx = new int[batch];
        int pos = 0;
        int si = 0;
        int completed = 0;
        String diverged = null;
        List<EarlyStop.Sample> stopSamples = new ArrayList<>();
        Verdict stopped = null;
        int stoppedAt = -1;

        MinibatchArrays mb = new MinibatchArrays(g.params().dataType(), batch, data.features(), data.classes());
        try {
            for (int step = 0; step < c.steps(); step++) {
                boolean sampledStep = si < sampled.length && sampled[si] == step;
                boolean armed = sampledStep && statistics;
                double testLoss = Double.NaN;
                double testAcc = Double.NaN;
                if (sampledStep) {
                    long e0 = System.nanoTime();
                    double[] te = evaluate(g, testX, testY);
                    testLoss = te[0];
                    testAcc = te[1];
                    evalNanos += System.nanoTime() - e0;
                }
                if (pos + batch > n) {
                    perm = permutation(n, rnd);
                    pos = 0;
                }
                System.arraycopy(perm, pos, idx, 0, batch);
                pos += batch;
                // The rows gathered in Java into the same two arrays every step: no ND4J op, nothing allocated
                mb.fill(data.trainX(), data.trainY(), idx);

                probe.arm(armed);
                if (armed) {
                    listener.reset();
                }
                long f0 = System.nanoTime();
                g.fit(mb.features(), mb.labels());
                fitNanos += System.nanoTime() - f0;
                probe.arm(false);
                double loss = g.score();
                losses[step] = loss;
                completed = step + 1;

                if (armed) {
                    Sample m = sample(id, step, depth, probe, listener, loss);
                    layerStats.addAll(m.rows());
                    nonFinite += m.nonFinite();
                    boolean stepUnderflow = m.underflow(c.residual());
                    underflow |= stepUnderflow;
                    double[] flows = m.flows(step, c.residual());
                    deltaFlows.add(flows);
                    if (!c.health().stopEarly().isOff()) {
                        stopSamples.add(new EarlyStop.Sample(step,
                                EarlyStop.side(judgedFlow(flows, c.residual()), stepUnderflow, m.nonFinite(), c.health()),
                                EarlyStop.trailingMean(losses, step, TARGET_WINDOW)));
                        stopped = Double.isFinite(loss) ? EarlyStop.decide(stopSamples, c.health()).orElse(null) : null;
                    }
                    if (step == 0) {
                        flowDeltaOutInit = flows[4];
                    }
                }
                if (sampledStep) {
                    si++;
                }
                if (sampledStep || step % c.schedule().curveEvery() == 0 || step == c.steps() - 1) {
                    curve.add(new CurvePoint(id, step, loss, testLoss, testAcc));
                }
                if (!Double.isFinite(loss)) {
                    diverged = "the training loss became " + loss + " at step " + step;
                    break;
                }
                if (stopped != null) {
                    // health.stop_early: the flow stayed beyond a threshold and the loss did not improve; what was
                    // reached by now is the trial's outcome
                    stoppedAt = step;
                    break;
                }
            }
        } finally {
            mb.close();
        }

        double finalTrainLoss = Double.NaN;
        double finalTestLoss = Double.NaN;
        double finalTestAcc = Double.NaN;
        if (diverged == null) {
            long e0 = System.nanoTime();
            finalTrainLoss = evaluate(g, trainX, data.trainY())[0];
            double[] te = evaluate(g, testX, testY);
            finalTestLoss = te[0];
            finalTestAcc = te[1];
            evalNanos += System.nanoTime() - e0;
        }

        double[] init = initialFlows(deltaFlows);
        double[] train = trainingMeans(deltaFlows);
        Verdict verdict = diverged != null ? Verdict.DIVERGED : stopped != null ? stopped
                : judge(c, init, train, nonFinite, underflow);
        double[] lossesRun = java.util.Arrays.copyOf(losses, completed);
        int window = Math.min(TARGET_WINDOW, c.steps());
        int toTarget = Stats.stepsToTarget(lossesRun, c.targetLoss(), window);
        double bestTrainLoss = Stats.minTrailingMean(lossesRun, window);

        double[] theory = theory(c, data);
        // Clipping is training, not statistics: its time stays in train_time_ms.
        long statsNanos = (probe.nanos() - probeNanos0) + listener.nanos;
        RECORDING_NANOS.add(statsNanos);
        FIT_NANOS.add(fitNanos);
        long trainMs = Math.max(0, fitNanos - statsNanos) / 1_000_000;
        long statsMs = (statsNanos + evalNanos) / 1_000_000;
        long wallMs = (System.nanoTime() - wall0) / 1_000_000;
        TrialSummary s = new TrialSummary(c, verdict, diverged, null, completed, underflow, init[1], train[0],
                flowDeltaOutInit,
                init[2], train[1], init[3], train[2], finalTrainLoss, bestTrainLoss, finalTestLoss, finalTestAcc,
                toTarget, wallMs, trainMs, statsMs, prov, theory[0], theory[1], train[3], clipping.clippedShare(),
                stoppedAt < 0 ? null : stoppedAt, pre.timeMs(), pre.reconstructionLoss());
        return new TrialResult(s, layerStats, curve);
    }

    /**
     * What one armed step measured: the {@code layer_stats} rows and the per-block norms the flows come from.
     *
     * @param rows      one row per hidden block
     * @param dPre      ‖δ‖ at each block's pre-activation (NaN where undefined)
     * @param dOut      ‖δ‖ at each block's output
     * @param gNorm     weight-gradient norm of each block
     * @param nonFinite non-finite weight-gradient entries over all blocks
     */
    public record Sample(List<LayerStat> rows, double[] dPre, double[] dOut, double[] gNorm, long nonFinite) {

        /** {step, flow of δ, flow of weight gradients, slope of δ, flow of the stream's δ (NaN without a skip)}. */
        public double[] flows(int step, Residual residual) {
            return new double[]{step, Stats.flowLog10(dPre), Stats.flowLog10(gNorm), Stats.log10Slope(dPre),
                    residual.hasSkip() ? Stats.flowLog10(dOut) : Double.NaN};
        }

        /**
         * Whether the gradient underflowed before the first block at this step. A rezero branch is gated by its α,
         * which starts at exactly 0: the branch's δ and weight gradients are exactly 0 at step 0 and later scale with
         * each block's learnt α, so they measure the gates rather than the flow; there the stream's δ is judged.
         */
        public boolean underflow(Residual residual) {
            return Stats.flowUnderflow(residual == Residual.REZERO ? dOut : dPre) || Stats.flowUnderflow(gNorm);
        }
    }

    /** The flows of the first sampled step ({@link Sample#flows}), all NaN when nothing was sampled. */
    public static double[] initialFlows(List<double[]> flows) {
        return flows.isEmpty() ? new double[]{0, Double.NaN, Double.NaN, Double.NaN, Double.NaN} : flows.get(0);
    }

    /** The flow a verdict is judged on in one row of {@link Sample#flows}: the stream's for rezero nets, else δ's. */
    static double judgedFlow(double[] flows, Residual residual) {
        return residual == Residual.REZERO ? flows[4] : flows[1];
    }

    /**
     * The verdict of a trial that neither diverged nor stopped early, from its initial flows and its training means
     * ({@link #trainingMeans}): rezero nets on the stream's δ, every other net on δ at the pre-activations.
     */
    public static Verdict judge(TrialConfig c, double[] init, double[] train, long nonFinite, boolean underflow) {
        boolean onStream = c.residual() == Residual.REZERO;
        return Verdict.judge(onStream ? init[4] : init[1], onStream ? train[3] : train[0], nonFinite, underflow,
                c.health());
    }

    /**
     * Reads what the probe and the listener recorded during the armed {@code fit} that just ran: task trials call it
     * at their sampled steps, data-parallel trials on the driver's probe minibatch, so both measure the same way.
     */
    public static Sample sample(String id, int step, int depth, Probe probe, GradientFlowListener listener, double loss) {
        // A step whose loss is not a number ran its backward pass on non-finite values; DL4J's ReLU
        // backward maps NaN to 0, so its norms would read as 0.0 rather than as undefined.
        boolean finiteStep = Double.isFinite(loss);
        List<LayerStat> layerStats = new ArrayList<>(depth);
        long nonFinite = 0;
        double[] dPre = new double[depth];
        double[] dOut = new double[depth];
        double[] gNorm = new double[depth];
        for (int l = 1; l <= depth; l++) {
            int i = l - 1;
            dPre[i] = finiteStep ? probe.deltaPre(l) : Double.NaN;
            dOut[i] = finiteStep ? probe.deltaOut(l) : Double.NaN;
            gNorm[i] = finiteStep ? listener.gradNorm[i] : Double.NaN;
            nonFinite += listener.gradNonFinite[i];
            layerStats.add(new LayerStat(id, step, l, dPre[i], dOut[i], gNorm[i],
                    finiteStep ? listener.gradMeanAbs[i] : Double.NaN,
                    finiteStep ? listener.gradMaxAbs[i] : Double.NaN, listener.gradNonFinite[i],
                    listener.weightNorm[i], finiteStep ? listener.updateRatio[i] : Double.NaN,
                    finiteStep ? probe.actMean(l) : Double.NaN, finiteStep ? probe.actStd(l) : Double.NaN,
                    finiteStep ? probe.actSaturated(l) : Double.NaN,
                    finiteStep ? probe.actDead(l) : Double.NaN));
        }
        return new Sample(layerStats, dPre, dOut, gNorm, nonFinite);
    }

    /** Refuses a trial whose estimated off-heap memory exceeds what this JVM lets ND4J allocate. */
    static void checkMemory(TrialConfig c, Dataset data) {
        long need = MemoryEstimate.bytes(c, data.features(), data.classes(), data.trainSize(), data.testSize());
        long max = org.bytedeco.javacpp.Pointer.maxBytes();
        if (max > 0 && need > max) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "trial %s needs about %d MiB of off-heap memory (width %d, depth %d, batch %d) but this executor allows %d MiB "
                            + "(org.bytedeco.javacpp.maxBytes, by default the JVM's -Xmx); give executors more memory or shrink the trial",
                    c.trialId(), need >> 20, c.width(), c.depth(), c.batchSize(), max >> 20));
        }
    }

    /**
     * {per-block χ, flow_log10 of δ} predicted by mean-field theory for standardized inputs; NaN where it does not
     * apply (batch norm, residual) and, since a prediction must never cost a trial its row, if it cannot be made.
     */
    public static double[] theory(TrialConfig c, Dataset data) {
        return theory(c, data.features());
    }

    /** {@link #theory(TrialConfig, Dataset)} for data with {@code features} inputs. */
    public static double[] theory(TrialConfig c, int features) {
        try {
            return MeanField.forTrial(c, features)
                    .map(p -> new double[]{p.chiPerBlock(), p.flowLog10()})
                    .orElse(new double[]{Double.NaN, Double.NaN});
        } catch (RuntimeException e) {
            return new double[]{Double.NaN, Double.NaN};
        }
    }

    /**
     * Means of flow of δ, flow of weight gradients, slope and flow of the stream's δ over the sampled steps after 0;
     * NaN when there are none (a one-step trial has no training phase to average, and copying step 0 would pass it
     * off as one).
     */
    public static double[] trainingMeans(List<double[]> flows) {
        double[] out = new double[4];
        for (int k = 0; k < 4; k++) {
            double[] v = new double[Math.max(0, flows.size() - 1)];
            for (int i = 1; i < flows.size(); i++) {
                v[i - 1] = flows.get(i)[k + 1];
            }
            out[k] = Stats.meanFinite(v);
        }
        return out;
    }

    /** {mean cross-entropy, accuracy} of the network on a set, in inference mode. */
    public static double[] evaluate(ComputationGraph g, INDArray x, int[] y) {
        INDArray p = g instanceof io.gradflow.model.DirectGraph d ? d.inference(x) : g.outputSingle(false, x);
        double[] probs = Arrays2.toDoubles(p);
        int k = (int) p.size(1);
        double ce = 0;
        int correct = 0;
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (probs[i * k + j] > probs[i * k + best]) {
                    best = j;
                }
            }
            if (best == y[i]) {
                correct++;
            }
            ce -= Math.log(Math.max(probs[i * k + y[i]], 1e-300));
        }
        return new double[]{ce / y.length, (double) correct / y.length};
    }

    public static INDArray matrix(float[] values, int rows, int cols, DataType dt) {
        INDArray m = Nd4j.create(values, new long[]{rows, cols}, 'c');
        return dt == DataType.FLOAT ? m : m.castTo(dt);
    }

    public static INDArray oneHot(int[] labels, int classes, DataType dt) {
        float[] v = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            v[i * classes + labels[i]] = 1f;
        }
        return matrix(v, labels.length, classes, dt);
    }

    public static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }

    public static String oneLine(Throwable e) {
        String m = e.getClass().getName() + ": " + e.getMessage();
        return m.replaceAll("\\s+", " ");
    }

    public static String stack(Throwable e) {
        StringWriter sw = new StringWriter();
        e.printStackTrace(new PrintWriter(sw));
        String s = sw.toString();
        return s.length() <= MAX_STACK_CHARS ? s : s.substring(0, MAX_STACK_CHARS) + "\n\t... (truncated)";
    }
}
