package io.gradflow.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.grid.Activation;
import io.gradflow.grid.GridException;
import io.gradflow.grid.GridParser;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.Grid;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.Residual;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.NetworkFactory;
import io.gradflow.model.WarmStart;
import io.gradflow.testutil.Fixtures;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Model files ({@code outputs.models}) and warm starts ({@code init: pretrained(...)}) on the local Hadoop file
 * system, with real DL4J networks: what is written restores with DL4J's own {@code ModelSerializer}, a warm start
 * continues exactly where its model stopped, transfer keeps the blocks and redraws what the data's shapes change,
 * and every model that cannot start a grid's trials is refused with one line before anything runs.
 */
class ModelStoreTest {

    @TempDir
    Path tmp;

    private static final int IN = 5;
    private static final int OUT = 4;

    private static TrialConfig trial(boolean bn, Residual r, int depth) {
        return Fixtures.trial(Activation.TANH, InitSpec.of(InitSpec.Kind.XAVIER), bn, false, depth, 3).withResidual(r);
    }

    /** A network of {@code c} after a few steps, so that biases, batch norm's statistics and rezero's α moved. */
    private static ComputationGraph trained(TrialConfig c, int nIn, int nOut) {
        ComputationGraph g = NetworkFactory.build(c, nIn, nOut).graph();
        INDArray x = matrix(32, nIn, 7);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 32, nOut);
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, i % nOut, 1.0);
        }
        for (int s = 0; s < 5; s++) {
            g.fit(new DataSet(x, y));
        }
        return g;
    }

    private static INDArray matrix(int rows, int cols, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Nd4j.create(v, new long[]{rows, cols}, 'c');
    }

    private ModelStore store(String dir) {
        return new ModelStore(new Parts.Conf(new Configuration()), dir);
    }

    @Test
    void writtenModelsRestoreWithDl4jAndAWarmStartStartsExactlyWhereTheyStopped() throws Exception {
        INDArray x = matrix(9, IN, 3);
        for (Residual r : Residual.values()) {
            for (boolean bn : new boolean[]{false, true}) {
                TrialConfig c = trial(bn, r, 3);
                ComputationGraph g = trained(c, IN, OUT);
                String models = tmp.resolve("m-" + r.key() + "-" + bn).toString();
                store(models).write(c, g, "OK");
                Path zip = Path.of(models, c.trialId() + ".zip");
                assertThat(zip).as(r + " bn " + bn).exists();
                ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip.toFile(), true);
                assertThat(restored.params()).as(r + " bn " + bn).isEqualTo(g.params());
                assertThat(restored.outputSingle(x)).isEqualTo(g.outputSingle(x));
                assertThat(restored.getUpdater().getStateViewArray()).isEqualTo(g.getUpdater().getStateViewArray());

                JsonNode meta = new ObjectMapper().readTree(Path.of(models, c.trialId() + ".json").toFile());
                assertThat(meta.get("trial_id").asText()).isEqualTo(c.trialId());
                assertThat(meta.get("combination_id").asText()).isEqualTo(Schemas.combinationId(c));
                assertThat(meta.get("seed").asLong()).isEqualTo(c.seed());
                assertThat(meta.get("config").asText()).isEqualTo(c.canonical());
                assertThat(meta.get("weights_fingerprint").asText()).isEqualTo(WarmStart.fingerprint(g));
                assertThat(WarmStart.layout(restored)).isEqualTo(new WarmStart.Layout(16, 3, bn, r.key()));

                // same shapes: every layer is the model's, so the warm-started network computes what it computed
                InitSpec init = InitSpec.pretrained(zip.toString(), "").resolved(zip.toString(), Map.of(),
                        WarmStart.fingerprint(g));
                ComputationGraph warm = NetworkFactory.build(c.withInit(init), IN, OUT, store(null)).graph();
                assertThat(warm.params()).as(r + " bn " + bn).isEqualTo(g.params());
                assertThat(warm.outputSingle(x)).isEqualTo(g.outputSingle(x));
            }
        }
        assertThat(Files.list(tmp.resolve("m-rezero-true"))).as("no temporary files are left")
                .allSatisfy(p -> assertThat(p.getFileName().toString()).doesNotContain(".tmp"));
    }

    @Test
    void transferKeepsTheBlocksAndRedrawsTheLayersWhoseShapesTheDataChange() {
        TrialConfig source = trial(true, Residual.REZERO, 4);
        ComputationGraph g = trained(source, IN, OUT);
        String models = tmp.resolve("m").toString();
        store(models).write(source, g, "OK");
        String zip = models + "/" + source.trialId() + ".zip";
        // a shallower trial on data with 7 features and 3 classes
        TrialConfig target = trial(true, Residual.REZERO, 3);
        InitSpec init = InitSpec.pretrained(zip, "").resolved(zip, Map.of(), "0123456789abcdef");
        ComputationGraph warm = NetworkFactory.build(target.withInit(init), 7, 3, store(null)).graph();
        ComputationGraph fresh = NetworkFactory.build(target, 7, 3).graph();
        for (String key : warm.paramTable().keySet()) {
            boolean block = key.startsWith("b");
            assertThat(warm.getParam(key)).as(key).isEqualTo(block ? g.getParam(key) : fresh.getParam(key));
        }
        assertThat(warm.getParam("b1_scale_alpha").getDouble(0)).as("rezero's learnt α").isNotZero();
    }

    @Test
    void aModelWhoseBlocksDoNotFitIsNamed() {
        WarmStart.Layout l = new WarmStart.Layout(16, 3, false, "true");
        assertThat(WarmStart.mismatch(l, trial(false, Residual.NONE, 3))).isNull();
        assertThat(WarmStart.mismatch(l, trial(false, Residual.SCALED, 2))).isNull();
        assertThat(WarmStart.mismatch(l, trial(false, Residual.UNIT, 4))).isEqualTo("it has 3 blocks, the trial 4");
        assertThat(WarmStart.mismatch(l, trial(true, Residual.UNIT, 3)))
                .isEqualTo("its blocks have no batch norm, the trial's do");
        assertThat(WarmStart.mismatch(l, trial(false, Residual.REZERO, 3)))
                .isEqualTo("its blocks have no rezero gates α, the trial's do");
        assertThat(WarmStart.mismatch(new WarmStart.Layout(32, 3, false, "true"), trial(false, Residual.UNIT, 3)))
                .isEqualTo("its blocks have width 32, the trial's 16");
        ComputationGraph layered = NetworkFactory.buildLayered(trial(false, Residual.NONE, 2), IN, OUT).graph();
        assertThatThrownBy(() -> WarmStart.layout(layered)).hasMessage("its block 1 is not a gradflow fused block");
    }

    @Test
    void theFingerprintFollowsTheWeightsNotTheFile() {
        TrialConfig c = trial(false, Residual.NONE, 2);
        ComputationGraph g = trained(c, IN, OUT);
        ModelStore a = store(tmp.resolve("a").toString());
        a.write(c, g, "OK");
        a.write(c, g, "OK"); // rewritten: other zip bytes, same weights
        ComputationGraph back = a.read(tmp.resolve("a").resolve(c.trialId() + ".zip").toString());
        assertThat(WarmStart.fingerprint(back)).isEqualTo(WarmStart.fingerprint(g));
        back.getParam("b2_dense_W").putScalar(0, 0, back.getParam("b2_dense_W").getDouble(0, 0) + 1e-3);
        assertThat(WarmStart.fingerprint(back)).isNotEqualTo(WarmStart.fingerprint(g));
    }

    private static String grid(String init, String seeds, int width) {
        return """
                name: warm
                seeds: %s
                axes:
                  init: [xavier, "%s"]
                training: {activation: tanh, depth: 2, width: %d, steps: 3, batch_size: 32}
                dataset: {kind: blobs, classes: 3, samples: 200, features: 4, noise: 1.0, seed: 3}
                """.formatted(seeds, init, width);
    }

    /** Writes the models of {@code c} with seeds 1 and 2 into {@code sweep}/models, as a sweep would. */
    private List<TrialConfig> sweepWithModels(Path sweep, TrialConfig c) {
        ModelStore s = store(sweep.resolve(ModelStore.DIR).toString());
        List<TrialConfig> written = new java.util.ArrayList<>();
        for (long seed : new long[]{1, 2}) {
            TrialConfig t = new TrialConfig(c.activation(), c.init(), c.batchnorm(), c.residual(), c.depth(), c.width(),
                    c.steps(), c.batchSize(), c.optimizer(), c.learningRate(), c.dtype(), seed, c.dataset(),
                    c.schedule(), c.targetLoss(), c.health(), c.clip(), c.parallelism(), c.pretrain());
            s.write(t, trained(t, IN, OUT), "OK");
            written.add(t);
        }
        return written;
    }

    @Test
    void resolvingFindsTheModelOfEachFormAndTheIdsHashTheirWeights() {
        Path sweep = tmp.resolve("a");
        List<TrialConfig> src = sweepWithModels(sweep, trial(false, Residual.NONE, 2));
        String comb = Schemas.combinationId(src.get(0));
        Configuration conf = new Configuration();

        GridSpec parsed = GridParser.parse(grid("pretrained(" + sweep + ", " + comb + ")", "[1, 2]", 16), "warm.yaml", "warm");
        GridSpec g = ModelStore.resolve(parsed, conf);
        List<TrialConfig> trials = Grid.expand(g);
        TrialConfig warm1 = trials.stream().filter(t -> t.init().isPretrained() && t.seed() == 1).findFirst().orElseThrow();
        assertThat(warm1.init().modelFor(1)).endsWith("/a/models/" + src.get(0).trialId() + ".zip");
        assertThat(warm1.init().modelFor(2)).endsWith("/a/models/" + src.get(1).trialId() + ".zip");
        assertThat(warm1.canonical()).contains(";init=pretrained(" + sweep + ", " + comb + ")@" + warm1.init().fingerprint() + ";");
        assertThat(Grid.expand(parsed).stream().map(TrialConfig::trialId)).doesNotContain(warm1.trialId());
        assertThat(ModelStore.resolve(g, conf)).as("resolving twice changes nothing").isSameAs(g);

        // a trial id: every seed starts from that one model; a model file: the same
        String tid = src.get(1).trialId();
        InitSpec byTrial = Grid.expand(ModelStore.resolve(GridParser.parse(grid("pretrained(" + sweep + ", " + tid + ")",
                "[1, 2, 3]", 16), "warm.yaml", "warm"), conf)).stream().filter(t -> t.init().isPretrained()).findFirst().orElseThrow().init();
        assertThat(byTrial.modelFor(3)).endsWith("/a/models/" + tid + ".zip");
        String file = sweep.resolve("models").resolve(tid + ".zip").toString();
        InitSpec byFile = Grid.expand(ModelStore.resolve(GridParser.parse(grid("pretrained(" + file + ")", "[1]", 16),
                "warm.yaml", "warm"), conf)).stream().filter(t -> t.init().isPretrained()).findFirst().orElseThrow().init();
        assertThat(byFile.fingerprint()).isEqualTo(byTrial.fingerprint());

        // and what cannot start the grid's trials, each one line naming the init value
        assertThatThrownBy(() -> ModelStore.resolve(GridParser.parse(grid("pretrained(" + sweep + ", " + comb + ")",
                "[1, 2, 3]", 16), "warm.yaml", "warm"), conf)).isInstanceOf(GridException.class)
                .hasMessageContaining("combination " + comb + " has models for seeds [1, 2] but not for seed 3 of this grid");
        assertThatThrownBy(() -> ModelStore.resolve(GridParser.parse(grid("pretrained(" + file + ")", "[1]", 32),
                "warm.yaml", "warm"), conf)).isInstanceOf(GridException.class)
                .hasMessageStartingWith("init 'pretrained(" + file + ")' cannot start the trials with depth 2, width 32")
                .hasMessageEndingWith("its blocks have width 16, the trial's 32");
        assertThatThrownBy(() -> ModelStore.resolve(GridParser.parse(grid("pretrained(" + sweep + ")", "[1]", 16),
                "warm.yaml", "warm"), conf)).hasMessageContaining("is a folder; give a model file");
        assertThatThrownBy(() -> ModelStore.resolve(GridParser.parse(grid("pretrained(" + tmp.resolve("nope.zip") + ")",
                "[1]", 16), "warm.yaml", "warm"), conf)).hasMessageEndingWith("nope.zip does not exist");
        assertThatThrownBy(() -> ModelStore.resolve(GridParser.parse(grid("pretrained(" + sweep + ", 00000000000000ff)",
                "[1]", 16), "warm.yaml", "warm"), conf)).hasMessageContaining("has no model of a trial or combination 00000000000000ff");
    }
}
