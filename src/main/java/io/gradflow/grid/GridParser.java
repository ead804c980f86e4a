package io.gradflow.grid;

import io.gradflow.data.DatasetKind;
import io.gradflow.data.DatasetSpec;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a grid file. It works on SnakeYAML's node tree rather than on plain maps so that every
 * error can name the line of the offending value. Nothing here touches Spark: a grid is rejected before any
 * job starts.
 */
public final class GridParser {

    private static final Set<String> TOP_KEYS = Set.of("name", "description", "seeds", "axes", "training", "dataset",
            "statistics", "health", "exclude", "outputs");
    private static final Set<String> OUTPUTS_KEYS = Set.of("models");
    private static final Set<String> DATASET_KEYS = Set.of("kind", "samples", "classes", "features", "noise",
            "test_fraction", "seed", "path", "label");
    private static final Set<String> STATISTICS_KEYS = Set.of("schedule", "every", "curve_every");
    private static final Set<String> HEALTH_KEYS = Set.of("vanishing_below", "exploding_above", "stop_early");
    private static final Set<String> STOP_EARLY_KEYS = Set.of("after", "window", "min_improvement");

    private final String origin;

    private GridParser(String origin) {
        this.origin = origin;
    }

    /** Reads a grid file; the sweep name defaults to the file name without extension. */
    public static GridSpec parseFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new GridException("grid file '" + file + "' does not exist");
        } catch (IOException e) {
            throw new GridException("grid file '" + file + "' cannot be read: " + e.getMessage());
        }
        String stem = file.getFileName().toString().replaceFirst("\\.(ya?ml)$", "");
        return parse(text, file.toString(), stem);
    }

    /**
     * Parses grid text.
     *
     * @param text        the YAML
     * @param origin      what to call the text in errors (a file name)
     * @param defaultName the sweep name when the text has no {@code name:}
     */
    public static GridSpec parse(String text, String origin, String defaultName) {
        return new GridParser(origin).doParse(text, defaultName);
    }

    private GridSpec doParse(String text, String defaultName) {
        Node root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark opened = e.getContextMark();
            String context = e.getContext() == null ? "" : e.getContext();
            if (opened != null && (context.contains("flow sequence") || context.contains("flow mapping"))) {
                // SnakeYAML notices an unclosed bracket only at the next token, usually on the next line: point at
                // the line where the bracket opened, which is where the fix goes.
                char bracket = context.contains("sequence") ? '[' : '{';
                char close = bracket == '[' ? ']' : '}';
                throw new GridException(origin + " line " + (opened.getLine() + 1) + ": the YAML is malformed: the '"
                        + bracket + "' opened at line " + (opened.getLine() + 1) + ", column " + (opened.getColumn() + 1)
                        + " is not closed with '" + close + "'" + (e.getProblemMark() != null
                        ? " (line " + (e.getProblemMark().getLine() + 1) + " continues without it)" : ""));
            }
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : opened;
            String where = m != null ? " line " + (m.getLine() + 1) : "";
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            throw new GridException(origin + where + ": the YAML is malformed: " + oneLine(problem));
        } catch (YAMLException e) {
            throw new GridException(origin + ": the YAML is malformed: " + oneLine(e.getMessage()));
        }
        if (root == null) {
            throw new GridException(origin + ": the grid file is empty; it needs at least seeds, axes and dataset");
        }
        MappingNode top = mapping(root, "the grid file");
        Map<String, NodeTuple> entries = entries(top, "the grid file", TOP_KEYS);

        String name = entries.containsKey("name") ? scalar(entries.get("name").getValueNode(), "name") : defaultName;

        // seeds
        if (!entries.containsKey("seeds")) {
            throw new GridException(origin + ": seeds is missing; give at least one seed, e.g. seeds: [1, 2, 3]");
        }
        Node seedsNode = entries.get("seeds").getValueNode();
        List<Long> seeds = new ArrayList<>();
        Set<Long> seenSeeds = new HashSet<>();
        for (Node n : sequence(seedsNode, "seeds")) {
            String s = scalar(n, "seeds");
            long v;
            try {
                v = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw error(n, "seeds value '" + s + "' is not a whole number");
            }
            if (!seenSeeds.add(v)) {
                throw error(n, "seeds lists " + v + " twice; each seed may appear once");
            }
            seeds.add(v);
        }
        if (seeds.isEmpty()) {
            throw error(seedsNode, "seeds is empty; give at least one seed, e.g. seeds: [1, 2, 3]");
        }

        // axes
        Map<Axis, List<Object>> axes = new LinkedHashMap<>();
        if (entries.containsKey("axes")) {
            MappingNode axesNode = mapping(entries.get("axes").getValueNode(), "axes");
            for (NodeTuple t : axesNode.getValue()) {
                String key = scalar(t.getKeyNode(), "axes");
                Axis axis = wrap(t.getKeyNode(), () -> Axis.parseName(key));
                if (axes.containsKey(axis)) {
                    throw error(t.getKeyNode(), "axes lists '" + key + "' twice");
                }
                List<Node> valueNodes = t.getValueNode() instanceof SequenceNode
                        ? ((SequenceNode) t.getValueNode()).getValue() : List.of(t.getValueNode());
                if (valueNodes.isEmpty()) {
                    throw error(t.getValueNode(), "axes." + key + " is empty; give at least one value");
                }
                List<Object> values = new ArrayList<>();
                for (Node vn : valueNodes) {
                    String raw = scalar(vn, "axes." + key);
                    Object v = wrap(vn, () -> axis.parse(raw));
                    if (values.contains(v)) {
                        throw error(vn, "axes." + key + " lists '" + raw + "' twice; each value may appear once");
                    }
                    values.add(v);
                }
                axes.put(axis, values);
            }
        }

        // training: fixed settings plus target_loss
        Map<Axis, Object> fixed = new LinkedHashMap<>();
        double targetLoss = 0.5;
        if (entries.containsKey("training")) {
            MappingNode tn = mapping(entries.get("training").getValueNode(), "training");
            Set<String> seen = new HashSet<>();
            for (NodeTuple t : tn.getValue()) {
                String key = scalar(t.getKeyNode(), "training");
                if (!seen.add(key)) {
                    throw error(t.getKeyNode(), "training lists '" + key + "' twice");
                }
                if (key.equals("target_loss")) {
                    targetLoss = positiveDouble(t.getValueNode(), "training.target_loss");
                    continue;
                }
                Axis axis;
                try {
                    axis = Axis.parseName(key);
                } catch (IllegalArgumentException e) {
                    throw error(t.getKeyNode(), "training." + key + " is not a known setting; choose one of " + Axis.allowed() + ", target_loss");
                }
                if (axes.containsKey(axis)) {
                    throw error(t.getKeyNode(), "training." + key + " is also an axis; give it in one place");
                }
                String raw = scalar(t.getValueNode(), "training." + key);
                fixed.put(axis, wrap(t.getValueNode(), () -> axis.parse(raw)));
            }
        }

        if (!entries.containsKey("dataset")) {
            throw new GridException(origin + ": dataset is missing; e.g. dataset: {kind: spirals, classes: 3, samples: 2000}");
        }
        DatasetSpec dataset = parseDataset(entries.get("dataset").getValueNode());

        StatsSchedule schedule = StatsSchedule.log2();
        if (entries.containsKey("statistics")) {
            Node sn = entries.get("statistics").getValueNode();
            Map<String, NodeTuple> se = entries(mapping(sn, "statistics"), "statistics", STATISTICS_KEYS);
            String kind = se.containsKey("schedule") ? scalar(se.get("schedule").getValueNode(), "statistics.schedule") : "log2";
            int every = se.containsKey("every") ? wholeNumber(se.get("every").getValueNode(), "statistics.every") : 0;
            int curveEvery = se.containsKey("curve_every") ? wholeNumber(se.get("curve_every").getValueNode(), "statistics.curve_every") : 1;
            schedule = wrapAt(sn, "statistics.", se, () -> new StatsSchedule(kind, every, curveEvery));
        }

        HealthThresholds health = HealthThresholds.defaults();
        if (entries.containsKey("health")) {
            Node hn = entries.get("health").getValueNode();
            Map<String, NodeTuple> he = entries(mapping(hn, "health"), "health", HEALTH_KEYS);
            double vb = he.containsKey("vanishing_below") ? number(he.get("vanishing_below").getValueNode(), "health.vanishing_below") : -2.0;
            double ea = he.containsKey("exploding_above") ? number(he.get("exploding_above").getValueNode(), "health.exploding_above") : 2.0;
            StopEarly stop = he.containsKey("stop_early") ? parseStopEarly(he.get("stop_early").getValueNode()) : StopEarly.OFF;
            health = wrapAt(hn, "health.", he, () -> new HealthThresholds(vb, ea, stop));
        }

        List<Map<Axis, Object>> exclude = new ArrayList<>();
        List<Node> excludeNodes = new ArrayList<>();
        if (entries.containsKey("exclude")) {
            int i = 0;
            for (Node en : sequence(entries.get("exclude").getValueNode(), "exclude")) {
                String field = "exclude[" + i + "]";
                MappingNode m = mapping(en, field);
                if (m.getValue().isEmpty()) {
                    throw error(en, field + " is empty; it would exclude every trial");
                }
                Map<Axis, Object> match = new LinkedHashMap<>();
                for (NodeTuple t : m.getValue()) {
                    String key = scalar(t.getKeyNode(), field);
                    Axis axis = wrap(t.getKeyNode(), () -> Axis.parseName(key));
                    if (!axes.containsKey(axis)) {
                        throw error(t.getKeyNode(), field + " names '" + key + "', which is not an axis of this grid; the axes are " + String.join(", ", axisKeys(axes)));
                    }
                    String raw = scalar(t.getValueNode(), field + "." + key);
                    Object v = wrap(t.getValueNode(), () -> axis.parse(raw));
                    if (!axes.get(axis).contains(v)) {
                        throw error(t.getValueNode(), field + "." + key + " '" + raw + "' is not a value of axis " + key + "; its values are "
                                + String.join(", ", axes.get(axis).stream().map(Axis::render).toList()));
                    }
                    match.put(axis, v);
                }
                exclude.add(match);
                excludeNodes.add(en);
                i++;
            }
        }

        Outputs outputs = Outputs.NONE;
        if (entries.containsKey("outputs")) {
            Node on = entries.get("outputs").getValueNode();
            Map<String, NodeTuple> oe = entries(mapping(on, "outputs"), "outputs", OUTPUTS_KEYS);
            if (oe.containsKey("models")) {
                outputs = new Outputs(bool(oe.get("models").getValueNode(), "outputs.models"));
            }
        }

        double finalTargetLoss = targetLoss;
        StatsSchedule finalSchedule = schedule;
        HealthThresholds finalHealth = health;
        Outputs finalOutputs = outputs;
        GridSpec spec = wrapAt(top, "", entries, () -> new GridSpec(name, seeds, axes, fixed, dataset, finalSchedule,
                finalTargetLoss, finalHealth, exclude, text, finalOutputs));
        // Build a trial with every value of every axis now, so that a value the per-trial checks reject is
        // reported before Spark starts. Those checks are per setting, so one trial per value covers them; building
        // every trial would exhaust the heap on a grid of millions before its size could even be reported.
        long count;
        try {
            for (Axis a : spec.axes().keySet()) {
                Grid.forEachShape(spec, java.util.Set.of(a), (t, n) -> { });
            }
            count = Grid.count(spec);
        } catch (IllegalArgumentException e) {
            throw new GridException(origin + ": " + e.getMessage());
        }
        if (count == 0) {
            throw new GridException(origin + ": exclude removes every trial of the grid; nothing would run");
        }
        checkTaskDuplicates(spec, count);
        checkDataParallelSupport(spec);
        return spec;
    }

    /**
     * A data-parallel trial is trained by DL4J Spark's workers, which run none of gradflow's own training code: not
     * the global-norm clipping listener, not the greedy pretraining, not early stopping. A grid that would combine
     * them is refused before anything runs (DL4J's own layer_norm and value clipping travel with the network and
     * are allowed).
     */
    private void checkDataParallelSupport(GridSpec spec) {
        if (!values(spec, Axis.PARALLELISM).contains(Parallelism.Mode.DATA)) {
            return;
        }
        // Walk only the combinations the grid keeps, so that an exclude of the pair is the way out.
        Grid.forEachShape(spec, java.util.Set.of(Axis.PARALLELISM, Axis.CLIP, Axis.PRETRAIN), (t, n) -> {
            if (!t.parallelism().isData()) {
                return;
            }
            if (t.clip().kind() == ClipSpec.Kind.NORM) {
                throw new GridException(origin + ": clip '" + t.clip().key() + "' is not supported with parallelism: data "
                        + "(DL4J Spark's workers do not run gradflow's global-norm clipping); use layer_norm(c) or value(c), "
                        + "or exclude: [{parallelism: data, clip: '" + t.clip().key() + "'}]");
            }
            if (!t.pretrain().isNone()) {
                throw new GridException(origin + ": pretrain '" + t.pretrain().key() + "' is not supported with parallelism: "
                        + "data (pretraining runs inside a task trial); exclude: [{parallelism: data, pretrain: '"
                        + t.pretrain().key() + "'}]");
            }
            if (!t.health().stopEarly().isOff()) {
                throw new GridException(origin + ": health.stop_early is not supported with parallelism: data (DL4J "
                        + "Spark trains a round at a time on its workers); turn it off or run the data trials in another grid");
            }
        });
    }

    /** The values an axis takes in the grid: its listed values, or the one fixed or default value. */
    private static List<Object> values(GridSpec spec, Axis a) {
        List<Object> v = spec.axes().get(a);
        return v != null ? v : List.of(spec.fixedOrDefault(a));
    }

    /**
     * Task trials ignore the data-parallel settings, so a grid that varies one of them across task trials would list
     * the same task trial more than once; refuse it and say how to exclude the copies.
     */
    private void checkTaskDuplicates(GridSpec spec, long count) {
        List<Axis> dataOnly = new ArrayList<>();
        for (Axis a : List.of(Axis.WORKERS, Axis.BATCH_SIZE_PER_WORKER, Axis.AVERAGING_FREQUENCY)) {
            if (spec.axes().containsKey(a) && spec.axes().get(a).size() > 1) {
                dataOnly.add(a);
            }
        }
        if (dataOnly.isEmpty() || count > 1_000_000) {
            return;
        }
        Set<String> ids = new HashSet<>();
        for (Iterator<TrialConfig> it = Grid.iterate(spec); it.hasNext(); ) {
            TrialConfig t = it.next();
            if (!ids.add(t.trialId())) {
                Axis a = dataOnly.get(0);
                throw new GridException(origin + ": axes." + a.key() + " varies a setting that parallelism: task trials "
                        + "ignore, so the grid lists task trial " + t.trialId() + " more than once; exclude the copies, e.g. "
                        + "exclude: [{parallelism: task, " + a.key() + ": " + Axis.render(spec.axes().get(a).get(1)) + "}]");
            }
        }
    }

    /** {@code stop_early: {after: S, window: K[, min_improvement: r]}}; {@code false} or {@code off} is off. */
    private StopEarly parseStopEarly(Node node) {
        if (node instanceof ScalarNode sc && (sc.getValue().trim().equalsIgnoreCase("false") || sc.getValue().trim().equalsIgnoreCase("off"))) {
            return StopEarly.OFF;
        }
        if (!(node instanceof MappingNode)) {
            throw error(node, "health.stop_early must be a mapping such as {after: 50, window: 3}, or false");
        }
        Map<String, NodeTuple> se = entries((MappingNode) node, "health.stop_early", STOP_EARLY_KEYS);
        for (String k : List.of("after", "window")) {
            if (!se.containsKey(k)) {
                throw error(node, "health.stop_early." + k + " is missing; e.g. stop_early: {after: 50, window: 3}");
            }
        }
        int after = wholeNumber(se.get("after").getValueNode(), "health.stop_early.after");
        int window = wholeNumber(se.get("window").getValueNode(), "health.stop_early.window");
        double r = se.containsKey("min_improvement") ? number(se.get("min_improvement").getValueNode(), "health.stop_early.min_improvement")
                : StopEarly.DEFAULT_MIN_IMPROVEMENT;
        return wrapAt(node, "health.stop_early.", se, () -> new StopEarly(after, window, r));
    }

    private DatasetSpec parseDataset(Node node) {
        Map<String, NodeTuple> d = entries(mapping(node, "dataset"), "dataset", DATASET_KEYS);
        if (!d.containsKey("kind")) {
            throw error(node, "dataset.kind is missing; choose one of " + DatasetKind.allowed());
        }
        String kindText = scalar(d.get("kind").getValueNode(), "dataset.kind");
        DatasetKind kind = wrap(d.get("kind").getValueNode(), () -> DatasetKind.parse(kindText));
        int samples = d.containsKey("samples") ? wholeNumber(d.get("samples").getValueNode(), "dataset.samples") : 2000;
        int classes = d.containsKey("classes") ? wholeNumber(d.get("classes").getValueNode(), "dataset.classes") : 3;
        int features = d.containsKey("features") ? wholeNumber(d.get("features").getValueNode(), "dataset.features") : 16;
        double noise = d.containsKey("noise") ? number(d.get("noise").getValueNode(), "dataset.noise") : (kind == DatasetKind.SPIRALS ? 0.1 : 1.0);
        double testFraction = d.containsKey("test_fraction") ? number(d.get("test_fraction").getValueNode(), "dataset.test_fraction") : 0.2;
        long seed = d.containsKey("seed") ? longNumber(d.get("seed").getValueNode(), "dataset.seed") : 0;
        String path = d.containsKey("path") ? scalar(d.get("path").getValueNode(), "dataset.path") : null;
        String label = d.containsKey("label") ? scalar(d.get("label").getValueNode(), "dataset.label") : null;
        if (!kind.isFile() && (path != null || label != null)) {
            throw error(node, "dataset.path and dataset.label only apply to kinds csv and parquet, not '" + kind.key() + "'");
        }
        return wrapAt(node, "dataset.", d, () -> new DatasetSpec(kind, samples, classes, features, noise, testFraction, seed, path, label));
    }

    private static List<String> axisKeys(Map<Axis, List<Object>> axes) {
        return axes.keySet().stream().map(Axis::key).toList();
    }

    private interface Builder<T> {
        T build();
    }

    /** Runs a validating constructor and re-throws its message with the file and line. */
    private <T> T wrap(Node where, Builder<T> b) {
        try {
            return b.build();
        } catch (GridException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw error(where, e.getMessage());
        }
    }

    /**
     * Like {@link #wrap}, but when the message starts with one of the section's fields ("health.exploding_above
     * ..."), the error points at that field's line rather than at the start of the section.
     */
    private <T> T wrapAt(Node section, String prefix, Map<String, NodeTuple> fields, Builder<T> b) {
        try {
            return b.build();
        } catch (GridException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            Node where = section;
            for (Map.Entry<String, NodeTuple> f : fields.entrySet()) {
                if (message.startsWith(prefix + f.getKey() + " ")) {
                    where = f.getValue().getValueNode();
                    break;
                }
            }
            throw error(where, message);
        }
    }

    private GridException error(Node where, String message) {
        int line = where.getStartMark() != null ? where.getStartMark().getLine() + 1 : -1;
        return new GridException(origin + (line > 0 ? " line " + line : "") + ": " + message);
    }

    private MappingNode mapping(Node n, String field) {
        if (n instanceof MappingNode m) {
            return m;
        }
        throw error(n, field + " must be a mapping of keys to values");
    }

    private List<Node> sequence(Node n, String field) {
        if (n instanceof SequenceNode s) {
            return s.getValue();
        }
        if (n instanceof ScalarNode sc && !sc.getValue().isBlank()) {
            return List.of(n);
        }
        throw error(n, field + " must be a list, e.g. [1, 2, 3]");
    }

    private boolean bool(Node n, String field) {
        String v = scalar(n, field).trim().toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error(n, field + " '" + v + "' is not allowed; write true or false");
        };
    }

    private String scalar(Node n, String field) {
        if (n instanceof ScalarNode s) {
            if (s.getValue().isBlank()) {
                throw error(n, field + " is empty; give a value");
            }
            return s.getValue();
        }
        throw error(n, field + " must be a single value, not a list or mapping");
    }

    private Map<String, NodeTuple> entries(MappingNode m, String field, Set<String> allowed) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = scalar(t.getKeyNode(), field);
            if (!allowed.contains(key)) {
                throw error(t.getKeyNode(), (field.equals("the grid file") ? "" : field + ".") + key
                        + " is not a known key; choose one of " + String.join(", ", allowed.stream().sorted().toList()));
            }
            if (out.put(key, t) != null) {
                throw error(t.getKeyNode(), (field.equals("the grid file") ? "" : field + ".") + key + " is given twice");
            }
        }
        return out;
    }

    private int wholeNumber(Node n, String field) {
        String s = scalar(n, field).trim();
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw error(n, field + " '" + s + "' is not a whole number");
        }
    }

    private long longNumber(Node n, String field) {
        String s = scalar(n, field).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw error(n, field + " '" + s + "' is not a whole number");
        }
    }

    private double number(Node n, String field) {
        String s = scalar(n, field).trim();
        try {
            double v = Double.parseDouble(s);
            if (Double.isNaN(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw error(n, field + " '" + s + "' is not a number");
        }
    }

    private double positiveDouble(Node n, String field) {
        double v = number(n, field);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw error(n, field + " " + v + " is not allowed; it must be a positive number");
        }
        return v;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
