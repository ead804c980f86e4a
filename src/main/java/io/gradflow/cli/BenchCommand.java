package io.gradflow.cli;

import io.gradflow.bench.Bench;
import io.gradflow.bench.TorchReference;
import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.trial.OpenBlasCore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Measures, side by side in one run, everything the performance targets are about and prints a Markdown section
 * for BENCHMARKS.md. The numbers are only comparable within one run: the machines are shared and noisy. Where
 * PyTorch can be imported ({@link TorchReference}), every per-step shape and the whole-grid training loop also
 * run in PyTorch, each right after its gradflow counterpart, and the ratios are printed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Benchmark: SGEMM rate, per-step training, statistics overhead, scheduling efficiency, "
                + "local[1] vs local[2], peak memory, and the same shapes and grid in PyTorch where it is installed. "
                + "Prints Markdown.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "A tiny configuration that checks the harness produces every figure (seconds, not meaningful numbers).")
    boolean quick;

    @Option(names = "--steps", defaultValue = "60", description = "Timed training steps per network shape.")
    int steps;

    @Option(names = "--step-rounds", defaultValue = "3",
            description = "Rounds per shape of the per-step measurement: gradflow and PyTorch alternate (G P, P G, G P, …), each round "
                    + "a fresh network and --steps timed steps, so that a burst of load on this machine falls on both sides.")
    int stepRounds;

    @Option(names = "--repeats", defaultValue = "5", description = "Repeats of the SGEMM and statistics-overhead measurements.")
    int repeats;

    @Option(names = "--grid", defaultValue = "conf/grids/remedies.yaml", description = "Grid whose first trials the sweep measurements run.")
    Path grid;

    @Option(names = "--sweep-trials", defaultValue = "200", description = "How many of the grid's first trials the sweep measurements run.")
    int sweepTrials;

    @Option(names = "--sweep-masters", split = ",", defaultValue = "local[1],local[2]",
            description = "Local Spark masters the sweep measurements run on, in order (the throughput ratio needs both local[1] and local[2]).")
    List<String> sweepMasters;

    @Option(names = "--work", defaultValue = "target/bench", description = "Folder for the benchmark sweeps' output.")
    Path work;

    @Option(names = "--torch-python", defaultValue = "/usr/bin/python3",
            description = "Python interpreter for the PyTorch reference (Debian's, which sees python3-torch).")
    Path torchPython;

    @Option(names = "--torch-script", defaultValue = "scripts/torch_reference.py", description = "The PyTorch reference script.")
    Path torchScript;

    @Option(names = "--torch-grid", defaultValue = "conf/grids/quick.yaml",
            description = "Grid whose trials the whole-grid comparison trains in gradflow on local[1] and in the PyTorch loop "
                    + "(all of them; --quick uses the smoke grid's first --sweep-trials).")
    Path torchGrid;

    @Option(names = "--no-torch", description = "Skip the PyTorch reference even where torch is installed.")
    boolean noTorch;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        for (String m : sweepMasters) {
            if (!m.matches("local\\[[1-9][0-9]*]")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--sweep-masters: '" + m + "' is not a local master such as local[2].");
            }
        }
        if (quick) {
            steps = 3;
            repeats = 1;
            sweepTrials = Math.min(sweepTrials, 4);
        }
        out.printf("### gradflow bench%s, %s%n%n", quick ? " --quick" : "", LocalDate.now());
        out.printf("Machine: %d cores, Java %s, OMP_NUM_THREADS=%s.%n%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)"));
        Files.createDirectories(work);
        TorchReference.Start started = noTorch ? new TorchReference.Start(null, "--no-torch was given")
                : TorchReference.start(torchPython, torchScript, work, sameKernels());
        try (TorchReference torch = started.reference()) {
            return measure(out, torch, started.unavailable());
        }
    }

    /**
     * The PyTorch process runs the same OpenBLAS kernels as gradflow's JVM: where gradflow chose them for a CPU that
     * OpenBLAS does not know (trial/OpenBlasCore), Debian's OpenBLAS would fall back to its generic kernels too, and
     * the comparison would measure the kernel choice instead of the two frameworks. An {@code OPENBLAS_CORETYPE} in
     * the environment already reaches both.
     */
    private static Map<String, String> sameKernels() {
        String core = OpenBlasCore.inUse();
        if (System.getenv(OpenBlasCore.ENV) != null || core.equals("unknown")) {
            return Map.of();
        }
        return Map.of(OpenBlasCore.ENV, core);
    }

    private Integer measure(PrintWriter out, TorchReference torch, String torchMissing) throws Exception {
        if (torch == null) {
            out.printf("**PyTorch reference:** skipped, %s.%n%n", torchMissing);
        } else {
            out.printf(Locale.ROOT, "**PyTorch reference:** torch %s, Python %s, %d thread%s, BLAS %s%s.%n%n",
                    torch.torchVersion(), torch.pythonVersion(), torch.threads(), torch.threads() == 1 ? "" : "s",
                    torch.blas().isEmpty() ? "(none seen)" : String.join(", ", torch.blas()),
                    torch.openBlas() ? "" : " (not OpenBLAS: install libopenblas0-openmp, or the comparison flatters gradflow)");
            out.printf(Locale.ROOT, "**OpenBLAS kernels:** gradflow %s (%s); PyTorch %s.%n%n", OpenBlasCore.inUse(),
                    OpenBlasCore.note(), torch.blasCores().isEmpty() ? "(none reported)" : String.join(", ", torch.blasCores().values()));
        }
        out.flush();

        int n = quick ? 128 : 1024;
        double[] sg = Bench.sgemm(n, repeats);
        out.printf("**SGEMM, one thread, %d×%d float:** %.1f GFLOP/s (min %.1f, max %.1f, %d runs)%n%n", n, n, sg[0], sg[1], sg[2], repeats);
        out.flush();

        double[] sc = Bench.sgemmScaling(quick ? 128 : 512, quick ? 1 : 5, quick ? 2 : 20);
        out.printf(Locale.ROOT, "**Two cores against one** (%d×%d SGEMM, one thread alone vs two side by side, %d alternating rounds): "
                        + "%.1f GFLOP/s alone, %.1f GFLOP/s for two together: %.2f× (the ceiling for local[2] over local[1])%n%n",
                quick ? 128 : 512, quick ? 128 : 512, quick ? 1 : 5, sc[0], sc[1], sc[2]);
        out.flush();

        out.printf("**Per-step training (DL4J fit, batch %d, no statistics):**%n", quick ? 16 : 128);
        out.println();
        out.println("| width | depth | blocks | ms/step (median) | min | max | GFLOP/s | % of SGEMM |");
        out.println("|---|---|---|---|---|---|---|---|");
        List<Bench.StepTiming> ours = new ArrayList<>();
        List<TorchReference.TorchStep> theirs = new ArrayList<>();
        int batch = quick ? 16 : 128;
        List<double[]> roundRatios = new ArrayList<>();
        int rounds = quick ? 1 : Math.max(1, stepRounds);
        for (Bench.Shape s : Bench.shapes(quick)) {
            // Alternating rounds (G P, P G, …), so that both sides see the same machine load and neither always
            // runs first; each side's figure is the median over its rounds' medians.
            List<Bench.StepTiming> g = new ArrayList<>();
            List<TorchReference.TorchStep> p = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                boolean torchFirst = torch != null && r % 2 == 1;
                if (torchFirst) {
                    p.add(torch.step(s, batch, steps));
                }
                g.add(Bench.step(s, batch, steps));
                if (torch != null && !torchFirst) {
                    p.add(torch.step(s, batch, steps));
                }
            }
            Bench.StepTiming t = Bench.StepTiming.overRounds(g, batch);
            out.printf(Locale.ROOT, "| %d | %d | %s | %.2f | %.2f | %.2f | %.2f | %.1f%% |%n", s.width(), s.depth(), s.kind(),
                    t.msPerStep(), t.msMin(), t.msMax(), t.gflops(), 100 * t.gflops() / sg[0]);
            out.flush();
            ours.add(t);
            if (torch != null) {
                theirs.add(TorchReference.TorchStep.overRounds(p));
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratios[r] = g.get(r).msPerStep() / p.get(r).msPerStep();
                }
                roundRatios.add(ratios);
            }
        }
        out.println();
        if (torch != null) {
            printStepComparison(out, ours, theirs, roundRatios, batch, rounds, steps);
        }

        // The statistics overhead of a plain depth-10 trial of the quick grid (200 steps: the schedule's ten sampled
        // steps weigh most there) and of the sweep grid (the remedies grid's 500 steps by default).
        for (Path p : quick ? List.of(Path.of("conf/grids/smoke.yaml")) : List.of(Path.of("conf/grids/quick.yaml"), grid)) {
            GridSpec g = GridParser.parseFile(p);
            TrialConfig rep = Bench.overheadTrial(g);
            double[] so = Bench.statsOverhead(rep, Datasets.build(g.dataset(), null), repeats);
            out.printf(Locale.ROOT, "**Statistics overhead** (%s: %s, %s, depth %d, width %d, %d steps, %s schedule): "
                            + "%.0f ms with statistics, %.0f ms without, overhead %.1f%%; time inside the statistics code %.1f%% of "
                            + "training (medians of %d interleaved pairs; the time inside over all the runs with statistics)%n%n",
                    g.name(), rep.activation().key(), rep.init().key(), rep.depth(), rep.width(), rep.steps(),
                    rep.schedule().canonical(), so[0], so[1], so[2], so[3], repeats);
            out.flush();
        }

        GridSpec sweepGrid = GridParser.parseFile(quick ? Path.of("conf/grids/smoke.yaml") : grid);
        out.println("**Sweeps** (first " + sweepTrials + " trials of " + sweepGrid.name() + "):");
        out.println();
        out.println("| master | trials | slots | wall s | Σ task s | scheduling efficiency |");
        out.println("|---|---|---|---|---|---|");
        Map<String, Double> walls = new HashMap<>();
        // The whole-grid comparison needs a local[1] sweep of the torch grid; when the sweeps below are that very
        // sweep, it is reused and the PyTorch loop runs right after it.
        Path sweepFile = quick ? Path.of("conf/grids/smoke.yaml") : grid;
        Path torchFile = quick ? sweepFile : torchGrid;
        boolean sameGrid = torchFile.normalize().equals(sweepFile.normalize());
        GridSpec tg = sameGrid ? sweepGrid : GridParser.parseFile(torchFile);
        int torchTrials = sameGrid ? sweepTrials : Grid.expand(tg).size();
        Bench.SweepTiming ourGrid = null;
        TorchReference.GridRun theirGrid = null;
        for (String master : sweepMasters) {
            Bench.SweepTiming st = Bench.sweep(sweepGrid, sweepTrials, master, work.resolve(master.replaceAll("\\W", "")));
            out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.1f | %.1f%% |%n", st.master(), st.trials(), st.slots(),
                    st.wallSeconds(), st.taskSeconds(), 100 * st.efficiency());
            walls.put(master, st.wallSeconds());
            out.flush();
            if (torch != null && sameGrid && master.equals("local[1]")) {
                ourGrid = st;
                theirGrid = torchGrid(torch, tg, torchTrials);
            }
        }
        out.println();
        if (walls.containsKey("local[1]") && walls.containsKey("local[2]")) {
            double ratio = walls.get("local[1]") / walls.get("local[2]");
            out.printf(Locale.ROOT, "**local[2] vs local[1]:** %.2f× the throughput (%.0f%% of the %.2f× that two SGEMM threads get over one)%n%n",
                    ratio, 100 * ratio / sc[2], sc[2]);
        }
        if (torch != null) {
            if (ourGrid == null) {
                ourGrid = Bench.sweep(tg, torchTrials, "local[1]", work.resolve("torchgrid-local1"));
                theirGrid = torchGrid(torch, tg, torchTrials);
            }
            printGridComparison(out, tg, ourGrid, theirGrid, Bench.sweepTrials(tg, torchTrials));
        }
        out.printf("**Peak resident memory of this JVM:** %d MiB%n", Bench.peakRssMiB());
        out.flush();
        return Main.OK;
    }

    /** The first {@code n} trials of {@code g} (the ones {@link Bench#sweep} runs) in the PyTorch loop, on the same data. */
    private TorchReference.GridRun torchGrid(TorchReference torch, GridSpec g, int n) throws Exception {
        List<TrialConfig> trials = Bench.sweepTrials(g, n);
        Dataset data = Datasets.build(g.dataset(), null);
        return torch.grid(trials, data, work.resolve("torch-" + g.name() + ".bin"));
    }

    private static void printStepComparison(PrintWriter out, List<Bench.StepTiming> ours, List<TorchReference.TorchStep> theirs,
                                            List<double[]> roundRatios, int batch, int rounds, int steps) {
        out.printf("**Per-step training against PyTorch** (the same shapes, batch %d, SGD, one thread each; %d alternating "
                + "round%s per shape of %d timed steps each side, a fresh network per round; ms = median over the rounds' "
                + "medians; ratio = gradflow / PyTorch of those, target ≤ 1.0×; per round: each round's own ratio):%n%n",
                batch, rounds, rounds == 1 ? "" : "s", steps);
        out.println("| width | depth | blocks | gradflow ms/step | PyTorch ms/step | ratio | per round |");
        out.println("|---|---|---|---|---|---|---|");
        for (int i = 0; i < ours.size(); i++) {
            Bench.StepTiming t = ours.get(i);
            TorchReference.TorchStep p = theirs.get(i);
            StringBuilder per = new StringBuilder();
            for (double r : roundRatios.get(i)) {
                per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", r));
            }
            out.printf(Locale.ROOT, "| %d | %d | %s | %.2f | %.2f | %.2f× | %s |%n", t.shape().width(), t.shape().depth(),
                    t.shape().kind(), t.msPerStep(), p.msPerStep(), t.msPerStep() / p.msPerStep(), per);
        }
        out.println();
        out.flush();
    }

    private static void printGridComparison(PrintWriter out, GridSpec g, Bench.SweepTiming ours, TorchReference.GridRun theirs,
                                            List<TrialConfig> trials) {
        out.printf("**Whole grid against PyTorch** (the first %d trials of %s with statistics: gradflow on local[1], then "
                + "the same trials one after another in a PyTorch loop with the same statistics on the same sampled steps, "
                + "on the same data; ratio = gradflow Σ trial time / PyTorch's loop, target ≤ 1.0×; gradflow's wall time is the whole "
                + "sweep, with Spark's start and the datasets' writing, PyTorch's the loop):%n%n", ours.trials(), g.name());
        out.println("| side | trials | Σ trial s | wall s | mean final test accuracy |");
        out.println("|---|---|---|---|---|");
        out.printf(Locale.ROOT, "| gradflow local[1] | %d | %.1f | %.1f | %.3f |%n", ours.trials(), ours.taskSeconds(),
                ours.wallSeconds(), ours.meanTestAccuracy());
        out.printf(Locale.ROOT, "| PyTorch loop | %d | %.1f | %.1f | %.3f |%n", theirs.trials(), theirs.sumTrialSeconds(),
                theirs.totalSeconds(), theirs.meanTestAccuracy());
        out.println();
        out.printf(Locale.ROOT, "**Whole grid, gradflow / PyTorch:** %.2f× (Σ trial time %.1f s against the loop's %.1f s; "
                        + "%d per-block statistic rows in PyTorch)%n%n",
                ours.taskSeconds() / theirs.totalSeconds(), ours.taskSeconds(), theirs.totalSeconds(), theirs.layerRows());
        printByActivation(out, ours, theirs, trials);
        out.flush();
    }

    /**
     * Where the grid has several activations, the same Σ trial times per activation (PyTorch's loop answers its
     * trials' wall times in the order they were sent: {@code trials}), so that an activation far from the rest
     * shows.
     */
    private static void printByActivation(PrintWriter out, Bench.SweepTiming ours, TorchReference.GridRun theirs,
                                          List<TrialConfig> trials) {
        if (ours.secondsByActivation().size() < 2 || theirs.trialSeconds().size() != trials.size()) {
            return;
        }
        // in the order the grid lists the activations (its trials' order)
        Map<String, Double> torchBy = new java.util.LinkedHashMap<>();
        Map<String, Integer> count = new java.util.LinkedHashMap<>();
        for (int i = 0; i < trials.size(); i++) {
            String a = trials.get(i).activation().key();
            torchBy.merge(a, theirs.trialSeconds().get(i), Double::sum);
            count.merge(a, 1, Integer::sum);
        }
        out.println("By activation (Σ trial wall time, gradflow on local[1] against PyTorch's loop):");
        out.println();
        out.println("| activation | trials | gradflow Σ s | PyTorch Σ s | ratio |");
        out.println("|---|---|---|---|---|");
        for (Map.Entry<String, Double> e : torchBy.entrySet()) {
            Double g = ours.secondsByActivation().get(e.getKey());
            if (g == null) {
                continue;
            }
            out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f× |%n", e.getKey(), count.get(e.getKey()), g,
                    e.getValue(), g / e.getValue());
        }
        out.println();
    }
}
