package io.gradflow.cluster;

import io.gradflow.cli.Main;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sweep through {@code spark-submit} on a real standalone cluster: {@code scripts/local-cluster.sh} starts a
 * master and two single-core worker JVMs on loopback from the Maven-resolved Spark jars, {@code scripts/submit.sh}
 * submits {@code target/gradflow-app.jar} (the application jar, so a class missing from it fails here), and the
 * results must equal, bit for bit, the same sweep run in local mode. The cluster is stopped even when a test fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path CLUSTER_DIR = ROOT.resolve("target/it-cluster");
    static final Path WORK = CLUSTER_DIR.resolve("it");
    static final int TRIALS = 6;

    /** Six small trials: vanishing, healthy, batch-normalized and residual nets, so every column is exercised. */
    static final String GRID = """
            name: cluster-it
            seeds: [1]
            axes:
              activation: [sigmoid, tanh, relu]
              residual: [false, true]
            training: {depth: 4, width: 16, steps: 24, batch_size: 32, batchnorm: false, learning_rate: 0.05}
            dataset: {kind: spirals, samples: 300, classes: 3}
            """;

    static Map<String, String> env;
    static String masterUrl;
    static List<Long> daemonPids = List.of();
    static Thread stopOnExit;

    @BeforeAll
    static void startCluster() throws Exception {
        assertThat(ROOT.resolve("target/gradflow-app.jar"))
                .as("the application jar is built in the package phase, before integration tests").isRegularFile();
        Files.createDirectories(WORK);
        int masterPort = freePort(1);
        int masterUi = freePort(1);
        int workerUi = freePort(2);
        masterUrl = "spark://127.0.0.1:" + masterPort;
        env = new HashMap<>();
        env.put("GRADFLOW_CLUSTER_DIR", CLUSTER_DIR.toString());
        env.put("GRADFLOW_MASTER_PORT", Integer.toString(masterPort));
        env.put("GRADFLOW_MASTER_UI_PORT", Integer.toString(masterUi));
        env.put("GRADFLOW_WORKER_UI_PORT", Integer.toString(workerUi));
        env.put("SPARK_HOME", CLUSTER_DIR.resolve("spark-home").toString());
        // Stop the cluster even if this JVM is ended before @AfterAll runs.
        stopOnExit = new Thread(StandaloneClusterIT::down);
        Runtime.getRuntime().addShutdownHook(stopOnExit);

        Run up = run(WORK.resolve("up.log"), 300, "scripts/local-cluster.sh", "up", "--workers", "2");
        assertThat(up.code).as(up.output).isZero();
        daemonPids = readPids();
        assertThat(daemonPids).as("master and two workers").hasSize(3);
        Run status = run(WORK.resolve("status.log"), 30, "scripts/local-cluster.sh", "status");
        assertThat(status.code).as(status.output).isZero();
        assertThat(status.output).contains("2 alive worker(s)").contains("worker-1 running").contains("worker-2 running");
    }

    @AfterAll
    static void stopCluster() {
        down();
        if (stopOnExit != null) {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
        for (long pid : daemonPids) {
            assertThat(runs(pid)).as("cluster process %d is stopped", pid).isFalse();
        }
    }

    /** Alive and not a zombie: a stopped daemon stays a zombie until the process that adopted it reaps it. */
    static boolean runs(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException gone) {
            return false;
        }
    }

    private static void down() {
        try {
            run(WORK.resolve("down.log"), 60, "scripts/local-cluster.sh", "down");
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the test cluster in " + CLUSTER_DIR, e);
        }
    }

    @Test
    @Order(1)
    void aSubmittedSweepRunsOnBothWorkersAndEqualsLocalModeBitForBit() throws Exception {
        Path grid = WORK.resolve("cluster-it.yaml");
        Files.writeString(grid, GRID);
        Path clusterOut = WORK.resolve("out-cluster");
        Path localOut = WORK.resolve("out-local");

        // Wait for both executors before the first task, so that the scheduler can use both.
        Run submit = run(WORK.resolve("submit.log"), 600, "scripts/submit.sh", "--master", masterUrl,
                "--conf", "spark.cores.max=2",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=180s",
                "--conf", "spark.ui.enabled=false",
                "sweep", "--grid", grid.toString(), "--out", clusterOut.toString(), "--overwrite", "--quiet");
        assertThat(submit.code).as(submit.output).isZero();
        assertThat(submit.output).contains(TRIALS + " of " + TRIALS + " trials have a row");

        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        int local = cl.execute("sweep", "--grid", grid.toString(), "--out", localOut.toString(), "--overwrite",
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--quiet");
        assertThat(local).as(err.toString()).isEqualTo(Main.OK);

        String manifest = Files.readString(clusterOut.resolve("cluster-it/manifest.json"));
        assertThat(manifest).contains("\"master\" : \"" + masterUrl + "\"");

        SparkSession spark = SparkSession.builder().master("local[1]").appName("cluster-it-compare")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            String c = clusterOut.resolve("cluster-it").toString();
            String l = localOut.resolve("cluster-it").toString();
            Dataset<Row> ct = spark.read().parquet(c + "/trials");
            Dataset<Row> lt = spark.read().parquet(l + "/trials");

            // Exactly one row per trial, and the same trials as local mode.
            List<String> clusterIds = strings(ct.select("trial_id").orderBy("trial_id"));
            assertThat(clusterIds).hasSize(TRIALS).doesNotHaveDuplicates();
            assertThat(clusterIds).isEqualTo(strings(lt.select("trial_id").orderBy("trial_id")));

            // The trials ran in at least two executor JVMs of the cluster, never in the driver.
            List<String> executors = strings(ct.select("executor_id").distinct().orderBy("executor_id"));
            assertThat(executors).hasSizeGreaterThanOrEqualTo(2).doesNotContain("driver");
            assertThat(strings(lt.select("executor_id").distinct())).containsExactly("driver");

            // Statistics bit for bit: everything but timing and where it ran.
            String[] placeAndTime = {"wall_time_ms", "train_time_ms", "stats_time_ms", "host", "executor_id", "started_at"};
            assertThat(bits(ct.drop(placeAndTime), "trial_id"))
                    .isEqualTo(bits(lt.drop(placeAndTime), "trial_id"));
            List<String> clusterLayers = bits(spark.read().parquet(c + "/layer_stats"), "trial_id", "step", "block");
            assertThat(clusterLayers).hasSizeGreaterThan(TRIALS * 4);
            assertThat(clusterLayers).isEqualTo(bits(spark.read().parquet(l + "/layer_stats"), "trial_id", "step", "block"));
            assertThat(bits(spark.read().parquet(c + "/curves"), "trial_id", "step"))
                    .isEqualTo(bits(spark.read().parquet(l + "/curves"), "trial_id", "step"));
        } finally {
            spark.stop();
        }
    }

    /** Runs last: it leaves the cluster with one worker. */
    /**
     * Issue 14: data-parallel trials on the two workers, on a built-in dataset (shipped from the driver) and on a
     * Parquet table the executors read as partitions (never collected): one row per trial, the statistics, and
     * both workers' executors recorded on each row.
     */
    @Test
    @Order(2)
    void dataTrialsTrainAcrossBothWorkersOnBuiltInAndParquetData() throws Exception {
        Path table = WORK.resolve("table.parquet");
        SparkSession local = SparkSession.builder().master("local[1]").appName("cluster-it-table")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            local.sql("select cast(id % 3 as string) as label, sin(id) + (id % 3) as a, cos(id * 0.7) as b,"
                    + " (id % 3) * 0.5 + sin(id * 1.3) as c from range(0, 900)").repartition(3)
                    .write().mode("overwrite").parquet(table.toString());
        } finally {
            local.stop();
        }
        String training = "training: {parallelism: data, workers: 2, batch_size_per_worker: 16, averaging_frequency: 2,"
                + " depth: 3, width: 16, steps: 12, batch_size: 32, learning_rate: 0.1}\n";
        Map<String, String> data = Map.of(
                "dp-builtin", "dataset: {kind: spirals, samples: 300, classes: 3}\n",
                "dp-parquet", "dataset: {kind: parquet, path: \"" + table + "\", label: label}\n");
        for (Map.Entry<String, String> e : data.entrySet()) {
            String name = e.getKey();
            Path grid = WORK.resolve(name + ".yaml");
            Files.writeString(grid, "name: " + name + "\nseeds: [1]\naxes:\n  activation: [tanh, relu]\n" + training + e.getValue());
            Path out = WORK.resolve("out-" + name);
            Run submit = run(WORK.resolve(name + ".log"), 600, "scripts/submit.sh", "--master", masterUrl,
                    "--conf", "spark.cores.max=2",
                    "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                    "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=180s",
                    "--conf", "spark.ui.enabled=false",
                    "sweep", "--grid", grid.toString(), "--out", out.toString(), "--overwrite", "--quiet");
            assertThat(submit.code).as(submit.output).isZero();
            assertThat(submit.output).as(name).contains("2 of 2 trials have a row");
            SparkSession spark = SparkSession.builder().master("local[1]").appName("cluster-it-" + name)
                    .config("spark.ui.enabled", "false").getOrCreate();
            try {
                Dataset<Row> t = spark.read().parquet(out.resolve(name + "/trials").toString());
                assertThat(t.count()).as(name).isEqualTo(2);
                assertThat(t.select("trial_id").distinct().count()).isEqualTo(2);
                for (Row r : t.select("verdict", "executor_id", "flow_log10_delta_init", "test_accuracy", "parallelism")
                        .collectAsList()) {
                    assertThat(r.getString(0)).as(name).isNotEqualTo("FAILED");
                    assertThat(r.getString(1).split(",")).as(name + ": both workers' executors").hasSize(2);
                    assertThat(r.isNullAt(2)).isFalse();
                    assertThat(r.getDouble(3)).isBetween(0.0, 1.0);
                    assertThat(r.getString(4)).isEqualTo("data");
                }
                // 6 rounds of 2 steps, log2 over rounds (0, 1, 2, 4, 5): 5 sampled steps × 3 blocks per trial
                assertThat(spark.read().parquet(out.resolve(name + "/layer_stats").toString()).count()).isEqualTo(2 * 5 * 3);
            } finally {
                spark.stop();
            }
        }
    }

    @Test
    @Order(3)
    void aWorkerKilledMidSweepStillGivesExactlyOneRowPerTrial() throws Exception {
        String grid = """
                name: worker-kill
                seeds: [1, 2]
                axes:
                  activation: [tanh, relu]
                  batchnorm: [false, true]
                training: {depth: 4, width: 32, steps: 120, batch_size: 32}
                dataset: {kind: spirals, samples: 300, classes: 3}
                """;
        Path gridFile = WORK.resolve("worker-kill.yaml");
        Files.writeString(gridFile, grid);
        Path out = WORK.resolve("out-kill");
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/submit.sh").toString(), "--master", masterUrl,
                "--conf", "spark.cores.max=2",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=180s",
                "--conf", "spark.ui.enabled=false",
                "sweep", "--grid", gridFile.toString(), "--out", out.toString(), "--overwrite", "--quiet"));
        Path log = WORK.resolve("submit-kill.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process submit = pb.start();
        try {
            // Once the first trial is recorded both executors are busy; then worker 2 dies without warning.
            Path progress = out.resolve(".worker-kill.incomplete/_parts");
            // A guard against hanging, not a speed check: poll for up to 30 minutes.
            for (int polls = 0; polls < 9_000 && !hasResult(progress); polls++) {
                assertThat(submit.isAlive()).as(Files.readString(log)).isTrue();
                Thread.sleep(200);
            }
            assertThat(hasResult(progress)).as("a trial recorded before the kill").isTrue();
            long worker2 = Long.parseLong(Files.readString(CLUSTER_DIR.resolve("pids/worker-2.pid")).strip());
            assertThat(ProcessHandle.of(worker2).orElseThrow().destroyForcibly()).isTrue(); // SIGKILL
            assertThat(submit.waitFor(10, TimeUnit.MINUTES)).as("the sweep finishes on the surviving worker").isTrue();
            assertThat(submit.exitValue()).as(Files.readString(log)).isZero();
        } finally {
            submit.descendants().forEach(ProcessHandle::destroyForcibly);
            submit.destroyForcibly();
        }
        assertThat(Files.readString(log)).contains("8 of 8 trials have a row");
        SparkSession spark = SparkSession.builder().master("local[1]").appName("worker-kill-check")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> t = spark.read().parquet(out.resolve("worker-kill/trials").toString());
            assertThat(t.count()).isEqualTo(8);
            assertThat(t.select("trial_id").distinct().count()).isEqualTo(8);
            assertThat(spark.read().parquet(out.resolve("worker-kill/layer_stats").toString())
                    .groupBy("trial_id", "step", "block").count().where("count > 1").count()).isZero();
        } finally {
            spark.stop();
        }
    }

    private static boolean hasResult(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            // a committed part (hidden names are parts still being written)
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet") && !p.getFileName().toString().startsWith("."));
        }
    }

    /** Every row as text, doubles as their raw bits, so that equality is bit-for-bit (0.0 differs from -0.0). */
    static List<String> bits(Dataset<Row> df, String... order) {
        String[] cols = df.columns();
        Dataset<Row> sorted = df.orderBy(order[0], Arrays.copyOfRange(order, 1, order.length));
        List<String> out = new ArrayList<>();
        for (Row r : sorted.collectAsList()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < cols.length; i++) {
                Object v = r.get(i);
                sb.append(cols[i]).append('=')
                        .append(v instanceof Double d ? Long.toHexString(Double.doubleToRawLongBits(d)) : String.valueOf(v))
                        .append(' ');
            }
            out.add(sb.toString());
        }
        return out;
    }

    static List<String> strings(Dataset<Row> df) {
        return df.collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toList());
    }

    static List<Long> readPids() throws IOException {
        try (Stream<Path> files = Files.list(CLUSTER_DIR.resolve("pids"))) {
            return files.filter(p -> p.toString().endsWith(".pid")).map(p -> {
                try {
                    return Long.parseLong(Files.readString(p).strip());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
    }

    /** A loopback port that is free, with {@code count - 1} free ports after it (workers' UIs are consecutive). */
    static int freePort(int count) throws IOException {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        for (int attempt = 0; attempt < 50; attempt++) {
            int p;
            try (ServerSocket s = new ServerSocket(0, 1, lo)) {
                p = s.getLocalPort();
            }
            boolean all = true;
            for (int i = 1; i < count && all; i++) {
                try (ServerSocket s = new ServerSocket(p + i, 1, lo)) {
                    all = s.getLocalPort() == p + i;
                } catch (IOException taken) {
                    all = false;
                }
            }
            if (all && p + count < 65536) {
                return p;
            }
        }
        throw new IllegalStateException("no run of " + count + " free loopback ports");
    }

    record Run(int code, String output) {
    }

    /** Runs a project script with the cluster's environment; its output goes to {@code log} and into the result. */
    static Run run(Path log, int timeoutSeconds, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, ROOT.resolve(command[0]).toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            return new Run(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd) + "\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
