package io.gradflow.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every bad grid gives one line naming the field and the value, exit code 2, and leaves an existing sweep of the
 * same name exactly as it was. These are refused before Spark starts; data and output problems that need Spark
 * are in SweepCommandIT and ResumeIT.
 */
class BadInputTest {

    @TempDir
    Path tmp;

    private Path out;

    static final String GOOD = """
            name: precious
            seeds: [1, 2]
            axes:
              activation: [sigmoid, relu]
              depth: [2, 4]
            training: {width: 8, steps: 10, batch_size: 16}
            dataset: {kind: spirals, samples: 200, classes: 3}
            """;

    @BeforeEach
    void existingSweep() throws Exception {
        out = tmp.resolve("results");
        Path sweep = out.resolve("precious/trials");
        Files.createDirectories(sweep);
        Files.writeString(sweep.resolve("part-00000.parquet"), "earlier results");
        Files.writeString(out.resolve("precious/grid.yaml"), GOOD);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("malformed YAML", GOOD.replace("seeds: [1, 2]", "seeds: [1, 2"), "the YAML is malformed"),
                Arguments.of("unknown axis", GOOD.replace("  depth: [2, 4]", "  dropout: [0.1]"),
                        "line 5: axis 'dropout' is not known; choose one of activation, init, batchnorm"),
                Arguments.of("unknown activation", GOOD.replace("[sigmoid, relu]", "[sigmoid, relu6]"),
                        "line 4: activation 'relu6' is not supported; choose one of sigmoid, tanh, relu"),
                Arguments.of("unknown init", GOOD.replace("width: 8,", "init: glorot, width: 8,"),
                        "init 'glorot' is not supported; choose one of xavier, he, lecun, normal(<std>)"),
                Arguments.of("zero depth", GOOD.replace("[2, 4]", "[0, 4]"), "line 5: depth 0 is not allowed; it must be between 1 and 1000"),
                Arguments.of("negative depth", GOOD.replace("[2, 4]", "[2, -4]"), "line 5: depth -4 is not allowed"),
                Arguments.of("absurd depth", GOOD.replace("[2, 4]", "[2, 100000]"), "line 5: depth 100000 is not allowed"),
                Arguments.of("zero width", GOOD.replace("width: 8", "width: 0"), "line 6: width 0 is not allowed; it must be between 1 and 16384"),
                Arguments.of("absurd width", GOOD.replace("width: 8", "width: 1000000"), "width 1000000 is not allowed"),
                Arguments.of("zero steps", GOOD.replace("steps: 10", "steps: 0"), "line 6: steps 0 is not allowed"),
                Arguments.of("negative batch size", GOOD.replace("batch_size: 16", "batch_size: -1"), "line 6: batch_size -1 is not allowed"),
                Arguments.of("empty axis", GOOD.replace("[2, 4]", "[]"), "line 5: axes.depth is empty; give at least one value"),
                Arguments.of("duplicate values", GOOD.replace("[2, 4]", "[2, 2]"), "line 5: axes.depth lists '2' twice"),
                Arguments.of("no seeds", GOOD.replace("seeds: [1, 2]\n", ""), "seeds is missing"),
                Arguments.of("empty seeds", GOOD.replace("seeds: [1, 2]", "seeds: []"), "line 2: seeds is empty"),
                Arguments.of("unknown dataset kind", GOOD.replace("kind: spirals", "kind: mnist"),
                        "dataset kind 'mnist' is not supported; choose one of spirals, teacher, blobs, csv, parquet"),
                Arguments.of("missing warm-start model", GOOD.replace("width: 8,", "init: \"pretrained(no/such/model.zip)\", width: 8,"),
                        "init 'pretrained(no/such/model.zip)': no/such/model.zip does not exist"),
                Arguments.of("warm start from a folder", GOOD.replace("width: 8,", "init: \"pretrained(.)\", width: 8,"),
                        "init 'pretrained(.)': . is a folder; give a model file"),
                Arguments.of("outputs.models not a boolean", GOOD + "outputs: {models: maybe}\n",
                        "outputs.models 'maybe' is not allowed; write true or false"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isExitCodeTwoWithOneLineAndTouchesNothing(String name, String grid, String message) throws Exception {
        Path g = tmp.resolve("precious.yaml");
        Files.writeString(g, grid);
        Map<String, String> before = snapshot(out);
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("sweep", "--grid", g.toString(), "--out", out.toString(), "--resume");
        assertThat(code).isEqualTo(Main.BAD_INPUT);
        assertThat(err.toString()).startsWith("gradflow: " + g).contains(message);
        assertThat(err.toString().strip().lines().count()).isEqualTo(1);
        assertThat(snapshot(out)).isEqualTo(before);
    }

    private static Map<String, String> snapshot(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).collect(Collectors.toMap(p -> dir.relativize(p).toString(), p -> {
                File f = p.toFile();
                try {
                    return f.lastModified() + ":" + Files.readString(p);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, (a, b) -> a, TreeMap::new));
        }
    }
}
