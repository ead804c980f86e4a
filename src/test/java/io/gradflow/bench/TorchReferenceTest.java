package io.gradflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.data.Dataset;
import io.gradflow.data.Datasets;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.TrialConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The JSON contract between {@code gradflow bench} and {@code scripts/torch_reference.py}. The tests that need
 * PyTorch are skipped, with the reason printed, where {@code /usr/bin/python3} cannot import torch (Debian's
 * {@code python3-torch}; {@code .ci/run} installs it unless {@code GRADFLOW_CI_TORCH=0}); the tests of the
 * "unavailable" paths need only a Python. No timing assertions.
 */
class TorchReferenceTest {

    private static final Path PYTHON = TorchReference.DEFAULT_PYTHON;
    private static final Path SCRIPT = TorchReference.DEFAULT_SCRIPT;

    @TempDir
    static Path tmp;

    private static TorchReference.Start started;

    @BeforeAll
    static void start() {
        started = TorchReference.start(PYTHON, SCRIPT, tmp, Map.of());
        if (!started.available()) {
            System.out.println("[TorchReferenceTest] skipping the PyTorch contract tests: " + started.unavailable());
        }
    }

    @AfterAll
    static void stop() {
        if (started != null && started.available()) {
            started.reference().close();
        }
    }

    private static TorchReference torch() {
        assumeTrue(started.available(), () -> "PyTorch is not usable here: " + started.unavailable());
        return started.reference();
    }

    @Test
    void helloReportsOneThreadAndOpenBlas() {
        TorchReference t = torch();
        assertThat(t.torchVersion()).matches("[0-9]+\\.[0-9]+.*");
        assertThat(t.pythonVersion()).startsWith("3.");
        assertThat(t.threads()).isEqualTo(1);
        // The harness puts Debian's OpenMP OpenBLAS first; the reference BLAS would make PyTorch a straw man.
        if (Files.isDirectory(TorchReference.OPENBLAS_OPENMP)) {
            assertThat(t.blas()).anyMatch(p -> p.startsWith(TorchReference.OPENBLAS_OPENMP.toString()));
            assertThat(t.openBlas()).isTrue();
        }
    }

    @Test
    void stepAnswersEveryShapeKind() {
        TorchReference t = torch();
        for (Bench.Shape s : Bench.shapes(true)) {
            TorchReference.TorchStep r = t.step(s, 16, 5);
            assertThat(r.msPerStep()).as(s.kind()).isPositive();
            assertThat(r.msMin()).isPositive().isLessThanOrEqualTo(r.msPerStep());
            assertThat(r.msMax()).isGreaterThanOrEqualTo(r.msPerStep());
        }
    }

    @Test
    void gridTrainsEveryTrialWithTheStatisticsOfEverySampledStep() throws Exception {
        TorchReference t = torch();
        GridSpec g = GridParser.parseFile(Path.of("conf/grids/smoke.yaml"));
        Dataset data = Datasets.build(g.dataset(), null);
        List<TrialConfig> trials = Bench.sweepTrials(g, 2);
        TorchReference.GridRun r = t.grid(trials, data, tmp.resolve("smoke.bin"));
        assertThat(r.trials()).isEqualTo(trials.size());
        long rows = trials.stream().mapToLong(c -> (long) c.schedule().steps(c.steps()).length * c.depth()).sum();
        assertThat(r.layerRows()).isEqualTo(rows);
        assertThat(r.totalSeconds()).isPositive().isGreaterThanOrEqualTo(r.sumTrialSeconds() * 0.99);
        assertThat(r.meanTestAccuracy()).isBetween(0.0, 1.0);
        // The data file is exactly the four arrays the script reads.
        assertThat(Files.size(tmp.resolve("smoke.bin"))).isEqualTo(4L * (data.trainSize() * data.features()
                + data.testSize() * data.features() + data.trainSize() + data.testSize()));
    }

    @Test
    void trialRequestCarriesTheInitStdAndTheSampledSteps() {
        GridSpec g = GridParser.parseFile(Path.of("conf/grids/smoke.yaml"));
        TrialConfig c = Bench.sweepTrials(g, 1).get(0);
        JsonNode j = TorchReference.trialJson(c, 2, 3);
        assertThat(j.get("std_hidden").asDouble()).isEqualTo(c.init().std(c.width(), c.width()));
        assertThat(j.get("std_proj").asDouble()).isEqualTo(c.init().std(2, c.width()));
        assertThat(j.get("sampled").size()).isEqualTo(c.schedule().steps(c.steps()).length);
        assertThat(j.get("activation").asText()).isEqualTo(c.activation().key());
    }

    @Test
    void aBadRequestIsAnErrorAndTheProcessGoesOn() {
        TorchReference t = torch();
        JsonNode a = t.raw(new ObjectMapper().createObjectNode().put("op", "nonsense"));
        assertThat(a.get("ok").asBoolean()).isFalse();
        assertThat(a.get("error").asText()).contains("op 'nonsense' is not one of");
        ObjectMapper m = new ObjectMapper();
        var req = m.createObjectNode().put("op", "grid");
        req.putObject("data").put("path", tmp.resolve("absent.bin").toString()).put("features", 2).put("classes", 3)
                .put("train", 1).put("test", 1);
        req.putArray("trials");
        JsonNode b = t.raw(req);
        assertThat(b.get("ok").asBoolean()).isFalse();
        assertThat(b.get("error").asText()).contains("absent.bin");
        // still answering
        assertThat(t.step(new Bench.Shape(8, 1, false, false), 4, 1).msPerStep()).isPositive();
    }

    @Test
    void missingTorchIsAReasonNotAnError() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), () -> PYTHON + " is missing, so the script cannot be started");
        // A torch module that fails to import stands in for a machine without python3-torch.
        Path fake = Files.createDirectories(tmp.resolve("fake-torch"));
        Files.writeString(fake.resolve("torch.py"), "raise ImportError('no torch on this test machine')\n");
        TorchReference.Start s = TorchReference.start(PYTHON, SCRIPT, tmp, Map.of("PYTHONPATH", fake.toString()));
        assertThat(s.available()).isFalse();
        assertThat(s.unavailable()).contains("import torch failed").contains("no torch on this test machine");
    }

    @Test
    void missingInterpreterOrScriptIsAReason() {
        TorchReference.Start s = TorchReference.start(tmp.resolve("no-python"), SCRIPT, tmp, Map.of());
        assertThat(s.available()).isFalse();
        assertThat(s.unavailable()).contains("is not an executable Python interpreter");
        assumeTrue(Files.isExecutable(PYTHON), () -> PYTHON + " is missing");
        TorchReference.Start t = TorchReference.start(PYTHON, tmp.resolve("nope.py"), tmp, Map.of());
        assertThat(t.unavailable()).contains("does not exist");
    }
}
