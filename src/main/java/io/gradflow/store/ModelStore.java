package io.gradflow.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.grid.Axis;
import io.gradflow.grid.Grid;
import io.gradflow.grid.GridException;
import io.gradflow.grid.GridSpec;
import io.gradflow.grid.InitSpec;
import io.gradflow.grid.TrialConfig;
import io.gradflow.model.ModelFiles;
import io.gradflow.model.WarmStart;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Model files on the sweep's Hadoop file system: {@code outputs: {models: true}} writes each trained network to
 * {@code <sweep>/models/<trial_id>.zip} (DL4J's {@code ModelSerializer}, updater included) with
 * {@code <trial_id>.json} beside it (trial id, combination id, seed, configuration, verdict, weights fingerprint),
 * and {@code init: pretrained(...)} reads them back. Both files are written to a hidden temporary name and renamed,
 * so a reader never sees half a model, and before the trial's row is committed, so a row with outputs on implies
 * its model. {@link #resolve} is the driver's half: it finds every warm start's files and checks them against the
 * trials before Spark starts.
 */
public final class ModelStore implements ModelFiles {

    /** The folder of model files inside a sweep folder. */
    public static final String DIR = "models";

    /** Thread-safe once configured; one for every sidecar this JVM writes or reads. */
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Parts.Conf conf;
    private final String modelsDir;

    /**
     * @param conf      the Hadoop configuration of the sweep's file system
     * @param modelsDir where {@link #write} stores models, or null for a store that only reads
     */
    public ModelStore(Parts.Conf conf, String modelsDir) {
        this.conf = conf;
        this.modelsDir = modelsDir;
    }

    /** A store that reads model files from wherever their paths say, with {@code conf}'s file systems. */
    public static ModelStore reader(Configuration conf) {
        return new ModelStore(new Parts.Conf(conf), null);
    }

    @Override
    public ComputationGraph read(String location) {
        Path p = new Path(location);
        try (FSDataInputStream in = p.getFileSystem(conf.get()).open(p)) {
            return ModelSerializer.restoreComputationGraph(in, false);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException(new IOException("could not read the model file " + location + ": "
                    + oneLine(e), e));
        }
    }

    @Override
    public boolean writes() {
        return modelsDir != null;
    }

    @Override
    public void write(TrialConfig c, ComputationGraph g, String verdict) {
        if (modelsDir == null) {
            return;
        }
        Path dir = new Path(modelsDir);
        String id = c.trialId();
        try {
            FileSystem fs = dir.getFileSystem(conf.get());
            fs.mkdirs(dir);
            Path tmp = new Path(dir, "." + id + ".zip." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try (FSDataOutputStream out = fs.create(tmp, true)) {
                ModelSerializer.writeModel(g, out, true);
            }
            replace(fs, tmp, new Path(dir, id + ".zip"));
            ObjectNode meta = JSON.createObjectNode();
            meta.put("trial_id", id);
            meta.put("combination_id", Schemas.combinationId(c));
            meta.put("seed", c.seed());
            meta.put("config", c.canonical());
            meta.put("verdict", verdict);
            meta.put("weights_fingerprint", WarmStart.fingerprint(g));
            Path jtmp = new Path(dir, "." + id + ".json." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try (FSDataOutputStream out = fs.create(jtmp, true)) {
                out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
            }
            replace(fs, jtmp, new Path(dir, id + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the model of trial " + id + " to " + dir, e);
        }
    }

    private static void replace(FileSystem fs, Path tmp, Path dest) throws IOException {
        // A retried task writes the same trial again: its model replaces the first attempt's.
        if (fs.exists(dest)) {
            fs.delete(dest, false);
        }
        if (!fs.rename(tmp, dest)) {
            throw new IOException("rename of " + tmp + " to " + dest + " failed");
        }
    }

    /**
     * The grid with every warm start ({@code init: pretrained(...)}, as an axis value or the fixed setting) resolved
     * to its model files and their weights' fingerprint, each model checked against every trial that starts from
     * it; a grid without warm starts is returned as it is. Refuses, with one line naming the init value, a model
     * that is missing or unreadable, is not a gradflow network, has no model for one of the grid's seeds (for a
     * combination id), or whose blocks cannot start a trial of the grid ({@link WarmStart#mismatch}).
     */
    public static GridSpec resolve(GridSpec spec, Configuration conf) {
        return resolve(spec, conf, null);
    }

    /** {@link #resolve(GridSpec, Configuration)}, its errors starting with the grid file's name {@code origin}. */
    public static GridSpec resolve(GridSpec spec, Configuration conf, String origin) {
        try {
            return resolveAll(spec, conf);
        } catch (GridException e) {
            throw origin == null ? e : new GridException(origin + ": " + e.getMessage());
        }
    }

    private static GridSpec resolveAll(GridSpec spec, Configuration conf) {
        List<Object> values = new ArrayList<>();
        List<Object> axisValues = spec.axes().get(Axis.INIT);
        if (axisValues != null) {
            values.addAll(axisValues);
        } else {
            values.add(spec.fixedOrDefault(Axis.INIT));
        }
        if (values.stream().noneMatch(v -> v instanceof InitSpec i && i.isPretrained() && !i.isResolved())) {
            return spec;
        }
        ModelStore store = reader(conf);
        Map<String, WarmStart.Layout> layouts = new HashMap<>();
        Map<InitSpec, InitSpec> resolved = new LinkedHashMap<>();
        for (Object v : values) {
            InitSpec init = (InitSpec) v;
            resolved.put(init, init.isPretrained() && !init.isResolved() ? store.resolveOne(init, spec.seeds(), layouts) : init);
        }
        Map<Axis, List<Object>> axes = new LinkedHashMap<>(spec.axes());
        Map<Axis, Object> fixed = new LinkedHashMap<>(spec.fixed());
        if (axisValues != null) {
            axes.put(Axis.INIT, new ArrayList<>(resolved.values()));
        } else {
            fixed.put(Axis.INIT, resolved.values().iterator().next());
        }
        GridSpec out = spec.withSettings(axes, fixed);
        // Every trial shape that starts from a model: the blocks must fit (a model file serves many shapes).
        Grid.forEachShape(out, Set.of(Axis.INIT, Axis.DEPTH, Axis.WIDTH, Axis.BATCHNORM, Axis.RESIDUAL), (t, n) -> {
            if (!t.init().isPretrained()) {
                return;
            }
            List<String> files = t.init().bySeed().isEmpty() ? List.of(t.init().location())
                    : new ArrayList<>(t.init().bySeed().values());
            for (String f : files) {
                String why = WarmStart.mismatch(layouts.get(f), t);
                if (why != null) {
                    throw new GridException("init '" + t.init().key() + "' cannot start the trials with depth "
                            + t.depth() + ", width " + t.width() + ", batchnorm " + t.batchnorm() + ", residual "
                            + t.residual().key() + ": the model " + f + " has " + layouts.get(f).describe() + "; " + why);
                }
            }
        });
        return out;
    }

    private InitSpec resolveOne(InitSpec init, List<Long> seeds, Map<String, WarmStart.Layout> layouts) {
        String what = "init '" + init.key() + "'";
        Path p = new Path(init.source());
        FileSystem fs;
        FileStatus st;
        try {
            fs = p.getFileSystem(conf.get());
            p = fs.makeQualified(p);
            st = fs.exists(p) ? fs.getFileStatus(p) : null;
        } catch (IOException e) {
            throw new GridException(what + ": could not look at " + init.source() + ": " + oneLine(e));
        }
        if (st == null) {
            throw new GridException(what + ": " + init.source() + " does not exist");
        }
        if (init.id().isEmpty()) {
            if (st.isDirectory()) {
                throw new GridException(what + ": " + init.source() + " is a folder; give a model file, or the sweep "
                        + "folder and a trial or combination id, e.g. pretrained(" + init.source() + ", <trial_id>)");
            }
            String fp = load(what, p.toString(), layouts);
            return init.resolved(p.toString(), Map.of(), fp);
        }
        if (!st.isDirectory()) {
            throw new GridException(what + ": " + init.source() + " is a file, not a sweep folder; write pretrained("
                    + init.source() + ") for a model file");
        }
        Path models = new Path(p, DIR);
        Path one = new Path(models, init.id() + ".zip");
        try {
            if (fs.exists(one)) {
                return init.resolved(one.toString(), Map.of(), load(what, one.toString(), layouts));
            }
            if (!fs.exists(models)) {
                throw new GridException(what + ": " + init.source() + " has no " + DIR + "/ folder; run its sweep with "
                        + "outputs: {models: true}");
            }
            // A combination id: the model of its trial with each seed of this grid.
            Map<Long, String> bySeed = new TreeMap<>();
            for (FileStatus f : fs.listStatus(models, q -> q.getName().endsWith(".json") && !q.getName().startsWith("."))) {
                JsonNode meta;
                try (FSDataInputStream in = fs.open(f.getPath())) {
                    meta = JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                if (meta != null && init.id().equals(meta.path("combination_id").asText())) {
                    bySeed.put(meta.path("seed").asLong(),
                            new Path(models, meta.path("trial_id").asText() + ".zip").toString());
                }
            }
            if (bySeed.isEmpty()) {
                throw new GridException(what + ": " + models + " has no model of a trial or combination " + init.id());
            }
            List<Long> missing = seeds.stream().filter(s -> !bySeed.containsKey(s)).toList();
            if (!missing.isEmpty()) {
                throw new GridException(what + ": combination " + init.id() + " has models for seeds "
                        + bySeed.keySet() + " but not for seed " + missing.get(0) + " of this grid; use those seeds, "
                        + "or a trial id to start every seed from one model");
            }
            Map<Long, String> used = new TreeMap<>();
            StringBuilder fps = new StringBuilder();
            for (long s : seeds) {
                used.put(s, bySeed.get(s));
                fps.append(s).append('=').append(load(what, bySeed.get(s), layouts)).append(';');
            }
            return init.resolved("", used, Fingerprints.of(fps.toString()));
        } catch (IOException e) {
            throw new GridException(what + ": could not read " + models + ": " + oneLine(e));
        }
    }

    /** Reads a model once: its layout for the checks, its fingerprint for the trial ids. */
    private String load(String what, String location, Map<String, WarmStart.Layout> layouts) {
        ComputationGraph g;
        try {
            g = read(location);
        } catch (UncheckedIOException e) {
            throw new GridException(what + ": " + oneLine(e.getCause()));
        }
        try {
            try {
                layouts.put(location, WarmStart.layout(g));
            } catch (IllegalArgumentException e) {
                throw new GridException(what + ": the model " + location + " cannot be a warm start: " + e.getMessage());
            }
            return WarmStart.fingerprint(g);
        } finally {
            g.params().close();
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    /** Short hashes of text. */
    static final class Fingerprints {
        private Fingerprints() {
        }

        static String of(String text) {
            try {
                byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
                return java.util.HexFormat.of().formatHex(h, 0, 8);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        }
    }
}
