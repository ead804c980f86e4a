package io.gradflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.data.Dataset;
import io.gradflow.grid.Precision;
import io.gradflow.grid.TrialConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The PyTorch side of {@code gradflow bench}: one long-lived {@code scripts/torch_reference.py} process that
 * answers JSON requests on its stdout, so each PyTorch measurement runs right after the gradflow measurement it is
 * compared with and both see the same machine load. The process runs with one thread ({@code OMP_NUM_THREADS=1},
 * {@code torch.set_num_threads(1)}) and with Debian's OpenMP OpenBLAS first on {@code LD_LIBRARY_PATH}: without it
 * Debian's {@code python3-torch} runs on the reference BLAS, which is several times slower and no fair peer.
 */
public final class TorchReference implements AutoCloseable {

    /** Debian's interpreter, which sees {@code python3-torch}; a pyenv {@code python3} on PATH does not. */
    public static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");
    public static final Path DEFAULT_SCRIPT = Path.of("scripts/torch_reference.py");
    /** Where Debian's {@code libopenblas0-openmp} puts its {@code libblas.so.3}. */
    public static final Path OPENBLAS_OPENMP = Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HELLO_TIMEOUT_S = 120;
    private static final long STEP_TIMEOUT_S = 600;
    private static final long GRID_TIMEOUT_S = 3600;

    private final Process process;
    private final Writer in;
    private final BufferedReader out;
    private final Path stderr;
    private JsonNode hello; // the process's answer to "hello", set once it has given one

    /** Either a running reference or, when PyTorch cannot be used here, the one-line reason. */
    public record Start(TorchReference reference, String unavailable) {
        public boolean available() {
            return reference != null;
        }
    }

    /** One shape's per-step time in PyTorch, as {@link Bench.StepTiming} measures it for gradflow. */
    public record TorchStep(double msPerStep, double msMin, double msMax) {

        /** Several rounds of one shape as one: the median of the rounds' medians, the least minimum, the greatest maximum. */
        public static TorchStep overRounds(List<TorchStep> rounds) {
            if (rounds.isEmpty()) {
                throw new IllegalArgumentException("A timing over rounds needs at least one round.");
            }
            return new TorchStep(Bench.median(rounds.stream().mapToDouble(TorchStep::msPerStep).toArray()),
                    rounds.stream().mapToDouble(TorchStep::msMin).min().orElseThrow(),
                    rounds.stream().mapToDouble(TorchStep::msMax).max().orElseThrow());
        }
    }

    /**
     * The PyTorch loop over a grid's trials: the process's own total, the sum of the trials' wall times, the mean
     * final test accuracy of the trials that did not diverge (a check that both sides trained alike), the
     * number of per-block statistic rows recorded (sampled steps × blocks, as gradflow's {@code layer_stats}), and
     * each trial's wall time in the order of the request.
     */
    public record GridRun(int trials, double totalSeconds, double sumTrialSeconds, double meanTestAccuracy,
                          long layerRows, List<Double> trialSeconds) {
        public GridRun {
            trialSeconds = List.copyOf(trialSeconds);
        }
    }

    private TorchReference(Process process, Path stderr) throws IOException {
        this.process = process;
        this.stderr = stderr;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts the reference with {@link #DEFAULT_PYTHON} and {@link #DEFAULT_SCRIPT}. */
    public static Start start(Path work) {
        return start(DEFAULT_PYTHON, DEFAULT_SCRIPT, work, Map.of());
    }

    /**
     * Starts {@code script} under {@code python} and checks that it can import torch. Never throws for a missing
     * interpreter, script or PyTorch: those are reasons to skip the comparison, returned in {@link Start}.
     *
     * @param work  folder for the process's stderr log (and, later, the grid's data file)
     * @param extraEnv environment entries on top of the one-thread, OpenBLAS-first environment (tests use it)
     */
    public static Start start(Path python, Path script, Path work, Map<String, String> extraEnv) {
        if (!Files.isExecutable(python)) {
            return new Start(null, python + " is not an executable Python interpreter");
        }
        if (!Files.isRegularFile(script)) {
            return new Start(null, "the reference script " + script.toAbsolutePath() + " does not exist (run from the repository root or pass --torch-script)");
        }
        TorchReference r = null;
        try {
            Files.createDirectories(work);
            Path err = work.resolve("torch_reference.stderr.log");
            ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString())
                    .redirectError(err.toFile());
            Map<String, String> env = pb.environment();
            // One thread everywhere, as a gradflow task: torch's own pool, OpenMP and OpenBLAS's.
            env.put("OMP_NUM_THREADS", "1");
            env.put("OPENBLAS_NUM_THREADS", "1");
            env.put("MKL_NUM_THREADS", "1");
            if (Files.isDirectory(OPENBLAS_OPENMP)) {
                String old = env.get("LD_LIBRARY_PATH");
                env.put("LD_LIBRARY_PATH", OPENBLAS_OPENMP + (old == null || old.isEmpty() ? "" : ":" + old));
            }
            env.putAll(extraEnv);
            r = new TorchReference(pb.start(), err);
            JsonNode h = r.request(JSON.createObjectNode().put("op", "hello"), HELLO_TIMEOUT_S);
            if (!h.path("ok").asBoolean(false)) {
                String why = h.has("unavailable") ? h.get("unavailable").asText() : h.path("error").asText("no reason given");
                r.close();
                return new Start(null, why);
            }
            r.hello = h;
            return new Start(r, null);
        } catch (IOException | RuntimeException e) {
            if (r != null) {
                r.close();
            }
            return new Start(null, "the reference process did not start: " + e.getMessage());
        }
    }

    /** The torch version the process imported. */
    public String torchVersion() {
        return hello.path("torch").asText();
    }

    /** The Python version of the process. */
    public String pythonVersion() {
        return hello.path("python").asText();
    }

    /** torch's intra-op thread count (1 unless something overrode the script). */
    public int threads() {
        return hello.path("threads").asInt();
    }

    /** The BLAS shared objects the process has loaded, by path. */
    public List<String> blas() {
        List<String> b = new ArrayList<>();
        hello.path("blas").forEach(n -> b.add(n.asText()));
        return b;
    }

    /** The kernels of each OpenBLAS the process loaded ({@code openblas_get_corename}), by path. */
    public Map<String, String> blasCores() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        hello.path("blas_cores").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    /** True when the loaded BLAS is an OpenBLAS, not Debian's reference implementation. */
    public boolean openBlas() {
        return blas().stream().anyMatch(p -> p.contains("openblas"));
    }

    /** The per-step benchmark of {@link Bench#step} for the same shape, batch and number of steps, in PyTorch. */
    public TorchStep step(Bench.Shape shape, int batch, int steps) {
        ObjectNode req = JSON.createObjectNode().put("op", "step").put("width", shape.width()).put("depth", shape.depth())
                .put("blocks", shape.kind()).put("batch", batch).put("steps", steps)
                .put("features", Bench.STEP_FEATURES).put("classes", Bench.STEP_CLASSES).put("lr", Bench.STEP_LEARNING_RATE);
        JsonNode a = checked(request(req, STEP_TIMEOUT_S), "step");
        return new TorchStep(a.get("ms_per_step").asDouble(), a.get("ms_min").asDouble(), a.get("ms_max").asDouble());
    }

    /**
     * Trains {@code trials} one after another in the PyTorch loop, on exactly {@code data}'s train and test rows
     * (written to {@code dataFile} as raw little-endian float32 and int32), with the same statistics on the same
     * sampled steps as gradflow's trial runner.
     */
    public GridRun grid(List<TrialConfig> trials, Dataset data, Path dataFile) throws IOException {
        writeData(data, dataFile);
        ObjectNode req = JSON.createObjectNode().put("op", "grid");
        req.putObject("data").put("path", dataFile.toAbsolutePath().toString()).put("features", data.features())
                .put("classes", data.classes()).put("train", data.trainSize()).put("test", data.testSize());
        ArrayNode ts = req.putArray("trials");
        for (TrialConfig c : trials) {
            ts.add(trialJson(c, data.features(), data.classes()));
        }
        JsonNode a = checked(request(req, GRID_TIMEOUT_S), "grid");
        double sum = 0;
        double acc = 0;
        int accN = 0;
        long rows = 0;
        List<Double> each = new ArrayList<>();
        for (JsonNode t : a.get("trials")) {
            each.add(t.get("wall_ms").asDouble() / 1e3);
            sum += t.get("wall_ms").asDouble() / 1e3;
            rows += t.get("layer_rows").asLong();
            JsonNode fa = t.get("final_test_acc");
            if (fa != null && fa.isNumber()) {
                acc += fa.asDouble();
                accN++;
            }
        }
        return new GridRun(a.get("trials").size(), a.get("total_s").asDouble(), sum, accN == 0 ? Double.NaN : acc / accN, rows,
                each);
    }

    /** The request of one trial: its shapes, the per-layer initial standard deviations and the sampled steps. */
    static ObjectNode trialJson(TrialConfig c, int features, int classes) {
        if (c.residual() != io.gradflow.grid.Residual.NONE && c.residual() != io.gradflow.grid.Residual.UNIT) {
            throw new IllegalArgumentException("The PyTorch reference mirrors plain and unit residual blocks only, not residual '"
                    + c.residual().key() + "'; compare a grid without scaled or rezero residuals.");
        }
        if (c.clip().kind() != io.gradflow.grid.ClipSpec.Kind.NONE) {
            throw new IllegalArgumentException("The PyTorch reference does not clip gradients, so it cannot mirror clip '"
                    + c.clip().key() + "'; compare a grid without clipping.");
        }
        ObjectNode t = JSON.createObjectNode()
                .put("activation", c.activation().key())
                .put("batchnorm", c.batchnorm()).put("residual", c.residual().hasSkip())
                .put("depth", c.depth()).put("width", c.width()).put("steps", c.steps()).put("batch", c.batchSize())
                .put("optimizer", c.optimizer().key()).put("lr", c.learningRate()).put("seed", c.seed())
                .put("double", c.dtype() == Precision.DOUBLE)
                // The init rule is applied here, once, so that the script cannot drift from InitSpec.
                .put("std_proj", c.init().std(features, c.width()))
                .put("std_hidden", c.init().std(c.width(), c.width()))
                .put("std_out", c.init().std(c.width(), classes))
                .put("curve_every", c.schedule().curveEvery());
        ArrayNode s = t.putArray("sampled");
        for (int step : c.schedule().steps(c.steps())) {
            s.add(step);
        }
        return t;
    }

    /** Train features, test features (float32), train labels, test labels (int32), little-endian, row-major. */
    static void writeData(Dataset d, Path file) throws IOException {
        int f = d.features();
        ByteBuffer b = ByteBuffer.allocate(4 * (d.trainSize() * f + d.testSize() * f + d.trainSize() + d.testSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(d.trainX()).put(d.testX());
        b.position(4 * (d.trainSize() + d.testSize()) * f);
        b.asIntBuffer().put(d.trainY()).put(d.testY());
        b.rewind();
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /** Sends a request the script does not know: its answer must be an error, and the process must go on. */
    JsonNode raw(ObjectNode req) {
        return request(req, STEP_TIMEOUT_S);
    }

    private JsonNode checked(JsonNode a, String op) {
        if (!a.path("ok").asBoolean(false)) {
            throw new IllegalStateException("The PyTorch reference failed on its '" + op + "' request: "
                    + a.path("error").asText(a.toString()) + ".");
        }
        return a;
    }

    private JsonNode request(ObjectNode req, long timeoutSeconds) {
        try {
            in.write(JSON.writeValueAsString(req));
            in.write('\n');
            in.flush();
            // readLine would block forever on a hung interpreter; waiting on another thread bounds it.
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            String s;
            try {
                s = line.get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                process.destroyForcibly();
                throw new IllegalStateException("The PyTorch reference gave no answer to its '" + req.path("op").asText()
                        + "' request within " + timeoutSeconds + " s and was stopped." + stderrTail());
            }
            if (s == null) {
                throw new IllegalStateException("The PyTorch reference process ended without answering its '"
                        + req.path("op").asText() + "' request." + stderrTail());
            }
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException("The PyTorch reference could not be reached: " + e.getMessage() + "." + stderrTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the PyTorch reference.", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("The PyTorch reference's answer could not be read: " + e.getCause().getMessage() + "." + stderrTail(), e);
        }
    }

    private String stderrTail() {
        try {
            List<String> lines = Files.readAllLines(stderr);
            if (lines.isEmpty()) {
                return "";
            }
            return " Its stderr ends with: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** Closes the process's stdin, which ends it; kills it if it has not ended after ten seconds. */
    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            // already gone: nothing to close
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
