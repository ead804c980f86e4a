package io.gradflow.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A sweep's output folder on any Hadoop-compatible file system ({@code file:}, {@code hdfs:}, {@code s3a:}).
 * A running sweep writes into a hidden staging folder {@code .NAME.incomplete} next to the final one and moves
 * it into place at the end, so a crash never leaves a half-written sweep where a complete one was. Opening
 * checks everything and changes nothing; {@link #begin()} makes the first change. An existing sweep or an
 * interrupted one is only replaced or continued when the user asked for it.
 */
public final class SweepDir {

    /** File names inside a sweep folder. */
    public static final String GRID_FILE = "grid.yaml";
    public static final String MANIFEST_FILE = "manifest.json";
    /** The per-trial journal of gradflow before {@link Parts}: recognized, to refuse resuming it with a clear line. */
    static final String LEGACY_JOURNAL = "_progress";

    /** What the user asked to do with an existing sweep of the same name. */
    public enum Mode {
        /** Start a new sweep; refuse if one exists. */
        NEW,
        /** Start over, replacing an existing sweep once the new one is written. */
        OVERWRITE,
        /** Finish an interrupted sweep, or extend a finished one (the caller checks the grid). */
        RESUME
    }

    /** Where a resumed sweep's earlier work is. */
    public enum Found { NOTHING, INTERRUPTED, FINISHED }

    private final FileSystem fs;
    private final Path finalDir;
    private final Path staging;
    private final Mode mode;
    private final Found found;
    private boolean begun;

    private SweepDir(FileSystem fs, Path finalDir, Path staging, Mode mode, Found found) {
        this.fs = fs;
        this.finalDir = finalDir;
        this.staging = staging;
        this.mode = mode;
        this.found = found;
    }

    /**
     * Checks {@code out/name} for the requested mode without changing anything. Refuses an existing or
     * interrupted sweep in NEW mode, an output path that cannot be written, and, in RESUME mode, a missing
     * sweep, a sweep without a progress journal, or one with a corrupt Parquet file.
     */
    public static SweepDir open(String out, String name, Mode mode, Configuration hadoop) {
        Path outPath = new Path(out);
        Path dir = new Path(outPath, name);
        Path staging = new Path(outPath, "." + name + ".incomplete");
        FileSystem fs;
        try {
            fs = dir.getFileSystem(hadoop);
        } catch (IOException | RuntimeException e) {
            throw new OutputException("output path '" + out + "' cannot be used: " + e.getMessage());
        }
        try {
            if (fs.exists(outPath) && !fs.getFileStatus(outPath).isDirectory()) {
                throw new OutputException("output path '" + out + "' is a file, not a directory");
            }
            boolean finalExists = fs.exists(dir);
            boolean stagingExists = fs.exists(staging);
            Found found = Found.NOTHING;
            switch (mode) {
                case NEW -> {
                    if (finalExists) {
                        throw new OutputException("sweep directory '" + dir + "' already exists; pass --resume to finish or extend it, --overwrite to replace it, or choose another --out");
                    }
                    if (stagingExists) {
                        throw new OutputException("an interrupted sweep '" + name + "' is in '" + staging + "'; pass --resume to finish it or --overwrite to start over");
                    }
                }
                case OVERWRITE -> {
                    if (finalExists) {
                        requireSweep(fs, dir);
                    }
                }
                case RESUME -> {
                    if (stagingExists) {
                        found = Found.INTERRUPTED;
                        requireJournal(fs, staging);
                    } else if (finalExists) {
                        found = Found.FINISHED;
                        requireJournal(fs, dir);
                        verifyParquet(fs, hadoop, dir);
                    } else {
                        throw new OutputException("there is no sweep '" + name + "' in '" + out + "' to resume; run without --resume to start it");
                    }
                }
                default -> throw new AssertionError(mode);
            }
            if (found == Found.NOTHING) {
                checkWritable(fs, outPath, out);
            }
            return new SweepDir(fs, dir, staging, mode, found);
        } catch (OutputException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException("output path '" + out + "' cannot be used: " + e.getMessage());
        }
    }

    private static void requireJournal(FileSystem fs, Path dir) throws IOException {
        if (!fs.exists(new Path(dir, Parts.DIR)) && fs.exists(new Path(dir, LEGACY_JOURNAL))) {
            throw new OutputException("sweep directory '" + dir + "' was written by an older gradflow, whose progress journal ("
                    + LEGACY_JOURNAL + "/, one file per trial) this version does not read; finish it with that version, "
                    + "or pass --overwrite to start over");
        }
        if (!fs.exists(new Path(dir, Parts.DIR)) || !fs.exists(new Path(dir, GRID_FILE))) {
            throw new OutputException("sweep directory '" + dir + "' has no progress journal (" + Parts.DIR + "/) and grid ("
                    + GRID_FILE + ") to resume from; pass --overwrite to start over");
        }
    }

    /**
     * Refuses to let {@code --overwrite} delete a folder that gradflow did not write: a sweep folder has its
     * grid file and a manifest or a progress journal. An empty folder holds nothing to lose and is allowed.
     */
    private static void requireSweep(FileSystem fs, Path dir) throws IOException {
        FileStatus st = fs.getFileStatus(dir);
        if (!st.isDirectory()) {
            throw new OutputException("'" + dir + "' is a file, not a sweep folder; --overwrite only replaces a sweep "
                    + "folder that gradflow wrote, so move the file away or choose another --out");
        }
        FileStatus[] entries = fs.listStatus(dir);
        if (entries.length == 0) {
            return;
        }
        boolean grid = fs.exists(new Path(dir, GRID_FILE));
        boolean record = fs.exists(new Path(dir, MANIFEST_FILE)) || fs.exists(new Path(dir, Parts.DIR))
                || fs.exists(new Path(dir, LEGACY_JOURNAL));
        if (!grid || !record) {
            List<String> names = new ArrayList<>();
            for (FileStatus e : entries) {
                names.add(e.getPath().getName());
            }
            Collections.sort(names);
            String shown = String.join(", ", names.subList(0, Math.min(5, names.size())))
                    + (names.size() > 5 ? ", ... (" + names.size() + " entries)" : "");
            throw new OutputException("'" + dir + "' is not a gradflow sweep folder (it has no " + GRID_FILE + " and "
                    + MANIFEST_FILE + ", but holds " + shown + "); --overwrite only replaces a sweep folder, so move "
                    + "this folder away or choose another --out");
        }
    }

    /** Reads the footer of every Parquet file of a finished sweep: a truncated or corrupt file is refused. */
    static void verifyParquet(FileSystem fs, Configuration conf, Path dir) throws IOException {
        for (FileStatus ds : fs.listStatus(dir)) {
            if (!ds.isDirectory()) {
                continue;
            }
            for (FileStatus f : fs.listStatus(ds.getPath())) {
                if (!f.getPath().getName().endsWith(".parquet")) {
                    continue;
                }
                try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(f.getPath(), conf))) {
                    r.getFooter();
                } catch (IOException | RuntimeException e) {
                    throw new OutputException("sweep directory '" + dir + "' has a corrupt Parquet file '"
                            + ds.getPath().getName() + "/" + f.getPath().getName() + "' (" + oneLine(e.getMessage())
                            + "); move the sweep away or pass --overwrite to start over");
                }
            }
        }
    }

    /**
     * Checks that {@code sweepDir} holds complete datasets before anything reads it, so that a damaged folder is
     * one line of bad input rather than a Spark stack trace: {@code trials}, {@code layer_stats} and {@code curves}
     * must each exist with at least one Parquet file whose footer reads, {@code trials} must have as many rows as
     * the manifest recorded, and every other dataset present ({@code comparison}, {@code effects}) must be
     * readable. Reads footers only.
     *
     * @throws OutputException naming the folder, the dataset and what is wrong with it
     */
    public static void requireDatasets(String sweepDir, Configuration conf) {
        Path dir = new Path(sweepDir);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            Path trials = new Path(dir, Schemas.TRIALS.name());
            boolean sweep = fs.exists(new Path(dir, GRID_FILE)) || fs.exists(new Path(dir, MANIFEST_FILE));
            if (!sweep && !fs.exists(trials)) {
                throw new OutputException("'" + sweepDir + "' is not a sweep folder: " + trials
                        + " does not exist; give the folder that `gradflow sweep` wrote (OUT/<sweep name>)");
            }
            String fix = fs.exists(new Path(dir, Parts.DIR))
                    ? "; `gradflow sweep --grid " + new Path(dir, GRID_FILE) + " --out " + dir.getParent() + " --resume` rewrites it from the progress journal"
                    : "; rerun the sweep with --overwrite";
            for (Table<?> t : Schemas.all()) {
                Path p = new Path(dir, t.name());
                boolean derived = t == Schemas.COMPARISON || t == Schemas.EFFECTS;
                if (!fs.exists(p)) {
                    if (derived) {
                        continue;
                    }
                    throw new OutputException("sweep folder '" + sweepDir + "' is damaged: dataset '" + t.name()
                            + "' is missing" + fix);
                }
                long rows = footerRows(fs, conf, p, sweepDir, t.name(), derived ? "; `gradflow report` rebuilds it" : fix);
                if (t == Schemas.TRIALS) {
                    Long written = manifestLong(fs, new Path(dir, MANIFEST_FILE), "trials_written");
                    if (written != null && written != rows) {
                        throw new OutputException("sweep folder '" + sweepDir + "' is damaged: dataset 'trials' has "
                                + rows + " rows but the manifest records " + written + fix);
                    }
                }
            }
        } catch (IOException e) {
            throw new OutputException("sweep folder '" + sweepDir + "' cannot be read: " + oneLine(e.getMessage()));
        }
    }

    /** The rows of a dataset folder, summed from its Parquet footers; refuses a folder without one or a bad file. */
    private static long footerRows(FileSystem fs, Configuration conf, Path p, String sweepDir, String name, String fix)
            throws IOException {
        long rows = 0;
        int files = 0;
        for (FileStatus f : fs.listStatus(p)) {
            if (!f.getPath().getName().endsWith(".parquet")) {
                continue;
            }
            files++;
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(f.getPath(), conf))) {
                rows += r.getRecordCount();
            } catch (IOException | RuntimeException e) {
                throw new OutputException("sweep folder '" + sweepDir + "' is damaged: dataset '" + name + "' has a "
                        + "truncated or corrupt Parquet file '" + f.getPath().getName() + "' (" + oneLine(e.getMessage()) + ")" + fix);
            }
        }
        if (files == 0) {
            throw new OutputException("sweep folder '" + sweepDir + "' is damaged: dataset '" + name
                    + "' has no Parquet files" + fix);
        }
        return rows;
    }

    private static Long manifestLong(FileSystem fs, Path manifest, String field) {
        try (FSDataInputStream in = fs.open(manifest)) {
            JsonNode v = new ObjectMapper().readTree(in).get(field);
            return v != null && v.canConvertToLong() ? v.asLong() : null;
        } catch (IOException | RuntimeException e) {
            return null; // no manifest, or one from before it had the field: nothing to compare with
        }
    }

    /** The manifest text the earlier run stored; null when there is none (nothing found, or an older sweep). */
    public String previousManifest() {
        if (found == Found.NOTHING) {
            return null;
        }
        Path p = new Path(found == Found.INTERRUPTED ? staging : finalDir, MANIFEST_FILE);
        try {
            return fs.exists(p) ? readText(p) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Which of the given entries (datasets or files) the finished sweep folder lacks, in the order given. */
    public List<String> missingInFinal(List<String> names) {
        List<String> missing = new ArrayList<>();
        try {
            for (String n : names) {
                if (!fs.exists(new Path(finalDir, n))) {
                    missing.add(n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + finalDir, e);
        }
        return missing;
    }

    private static void checkWritable(FileSystem fs, Path outPath, String out) {
        // Create and remove a probe file: mkdirs can succeed where files cannot be created.
        Path probe = new Path(outPath, ".gradflow-write-check-" + ProcessHandle.current().pid());
        try {
            if (!fs.mkdirs(outPath)) {
                throw new IOException("could not create " + outPath);
            }
            try (FSDataOutputStream o = fs.create(probe, true)) {
                o.write(1);
            }
            fs.delete(probe, false);
        } catch (IOException e) {
            throw new OutputException("output path '" + out + "' cannot be written: " + oneLine(e.getMessage()));
        }
    }

    /** What a RESUME found (NOTHING for other modes). */
    public Found found() {
        return found;
    }

    /** The grid text the earlier run stored, for comparison; null when nothing was found. */
    public String previousGrid() {
        if (found == Found.NOTHING) {
            return null;
        }
        return readText(new Path(found == Found.INTERRUPTED ? staging : finalDir, GRID_FILE));
    }

    /** The journal folder ({@link Parts}) of the earlier run (before {@link #begin}) or of this one (after). */
    public String partsPath() {
        if (!begun && found == Found.FINISHED) {
            return new Path(finalDir, Parts.DIR).toString();
        }
        return new Path(staging, Parts.DIR).toString();
    }

    /**
     * Makes the first change: clears a stale staging folder when starting over, moves a finished sweep back to
     * staging when extending it, creates staging, and stores the grid as given.
     */
    public void begin(String gridText) {
        try {
            if (mode != Mode.RESUME && fs.exists(staging)) {
                fs.delete(staging, true);
            }
            if (found == Found.FINISHED && !fs.rename(finalDir, staging)) {
                throw new IOException("rename of " + finalDir + " to " + staging + " failed");
            }
            fs.mkdirs(staging);
            // The journal exists from the start, so a sweep killed before its first part can still be resumed.
            fs.mkdirs(new Path(staging, Parts.DIR));
            Parts.clearHidden(fs, new Path(staging, Parts.DIR));
            writeText(GRID_FILE, gridText);
            begun = true;
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare " + staging, e);
        }
    }

    /** Where a dataset is written during the run; an earlier copy is removed first. */
    public String stagingPath(String dataset) {
        Path p = new Path(staging, dataset);
        try {
            if (fs.exists(p)) {
                fs.delete(p, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not clear " + p, e);
        }
        return p.toString();
    }

    /** The final folder. */
    public String path() {
        return finalDir.toString();
    }

    public String stagingDir() {
        return staging.toString();
    }

    public void writeText(String fileName, String text) {
        try (FSDataOutputStream o = fs.create(new Path(staging, fileName), true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + fileName + " to " + staging, e);
        }
    }

    private String readText(Path p) {
        try (FSDataInputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OutputException("could not read '" + p + "': " + oneLine(e.getMessage()));
        }
    }

    /** Moves the staging folder into place, replacing an existing sweep only now that the new one is complete. */
    public void commit() {
        try {
            if (fs.exists(finalDir)) {
                fs.delete(finalDir, true);
            }
            if (!fs.rename(staging, finalDir)) {
                throw new IOException("rename of " + staging + " to " + finalDir + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not move the results into " + finalDir + "; they are in " + staging, e);
        }
    }

    /** Removes the staging folder of a new sweep that wrote nothing worth keeping. */
    public void abandon() {
        if (found != Found.NOTHING) {
            return; // never throw away an earlier run's progress
        }
        try {
            fs.delete(staging, true);
        } catch (IOException e) {
            // Best effort: a leftover staging folder is reported by the next run of the same sweep.
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
