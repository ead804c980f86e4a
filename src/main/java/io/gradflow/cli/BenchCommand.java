package io.gradflow.cli;

import io.gradflow.bench.Bench;
import io.gradflow.data.Datasets;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Measures, side by side in one run, everything the performance targets are about and prints a Markdown section
 * for BENCHMARKS.md. The numbers are only comparable within one run: the machines are shared and noisy.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Benchmark: SGEMM rate, per-step training, statistics overhead, scheduling efficiency, "
                + "local[1] vs local[2], peak memory. Prints Markdown.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "A tiny configuration that checks the harness produces every figure (seconds, not meaningful numbers).")
    boolean quick;

    @Option(names = "--steps", defaultValue = "60", description = "Timed training steps per network shape.")
    int steps;

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

        int n = quick ? 128 : 1024;
        double[] sg = Bench.sgemm(n, repeats);
        out.printf("**SGEMM, one thread, %d×%d float:** %.1f GFLOP/s (min %.1f, max %.1f, %d runs)%n%n", n, n, sg[0], sg[1], sg[2], repeats);
        out.flush();

        double[] sc = Bench.sgemmScaling(quick ? 128 : 512, quick ? 1 : 5, quick ? 2 : 20);
        out.printf(Locale.ROOT, "**Two cores against one** (%d×%d SGEMM, one thread alone vs two side by side, %d alternating rounds): "
                        + "%.1f GFLOP/s alone, %.1f GFLOP/s for two together: %.2f× (the ceiling for local[2] over local[1])%n%n",
                quick ? 128 : 512, quick ? 128 : 512, quick ? 1 : 5, sc[0], sc[1], sc[2]);
        out.flush();

        out.println("**Per-step training (DL4J fit, batch 128, no statistics):**");
        out.println();
        out.println("| width | depth | blocks | ms/step (median) | min | max | GFLOP/s | % of SGEMM |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (Bench.Shape s : Bench.shapes(quick)) {
            Bench.StepTiming t = Bench.step(s, quick ? 16 : 128, steps);
            out.printf(Locale.ROOT, "| %d | %d | %s | %.2f | %.2f | %.2f | %.2f | %.1f%% |%n", s.width(), s.depth(), s.kind(),
                    t.msPerStep(), t.msMin(), t.msMax(), t.gflops(), 100 * t.gflops() / sg[0]);
            out.flush();
        }
        out.println();

        // The statistics overhead of a plain depth-10 trial of the quick grid (200 steps: the schedule's ten sampled
        // steps weigh most there) and of the sweep grid (the remedies grid's 500 steps by default).
        for (Path p : quick ? List.of(Path.of("conf/grids/smoke.yaml")) : List.of(Path.of("conf/grids/quick.yaml"), grid)) {
            GridSpec g = GridParser.parseFile(p);
            TrialConfig rep = Bench.overheadTrial(g);
            double[] so = Bench.statsOverhead(rep, Datasets.build(g.dataset(), null), repeats);
            out.printf(Locale.ROOT, "**Statistics overhead** (%s: %s, %s, depth %d, width %d, %d steps, %s schedule): "
                            + "%.0f ms with statistics, %.0f ms without, overhead %.1f%%; time inside the statistics code %.1f%% of "
                            + "training (medians of %d interleaved pairs)%n%n",
                    g.name(), rep.activation().key(), rep.init().key(), rep.depth(), rep.width(), rep.steps(),
                    rep.schedule().canonical(), so[0], so[1], so[2], so[3], repeats);
            out.flush();
        }

        GridSpec sweepGrid = GridParser.parseFile(quick ? Path.of("conf/grids/smoke.yaml") : grid);
        Files.createDirectories(work);
        out.println("**Sweeps** (first " + sweepTrials + " trials of " + sweepGrid.name() + "):");
        out.println();
        out.println("| master | trials | slots | wall s | Σ task s | scheduling efficiency |");
        out.println("|---|---|---|---|---|---|");
        Map<String, Double> walls = new HashMap<>();
        for (String master : sweepMasters) {
            Bench.SweepTiming st = Bench.sweep(sweepGrid, sweepTrials, master, work.resolve(master.replaceAll("\\W", "")));
            out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.1f | %.1f%% |%n", st.master(), st.trials(), st.slots(),
                    st.wallSeconds(), st.taskSeconds(), 100 * st.efficiency());
            walls.put(master, st.wallSeconds());
            out.flush();
        }
        out.println();
        if (walls.containsKey("local[1]") && walls.containsKey("local[2]")) {
            double ratio = walls.get("local[1]") / walls.get("local[2]");
            out.printf(Locale.ROOT, "**local[2] vs local[1]:** %.2f× the throughput (%.0f%% of the %.2f× that two SGEMM threads get over one)%n%n",
                    ratio, 100 * ratio / sc[2], sc[2]);
        }
        out.printf("**Peak resident memory of this JVM:** %d MiB%n", Bench.peakRssMiB());
        out.flush();
        return Main.OK;
    }
}
