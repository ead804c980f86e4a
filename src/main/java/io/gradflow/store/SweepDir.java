package io.gradflow.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A sweep's output folder on any Hadoop-compatible file system ({@code file:}, {@code hdfs:}, {@code s3a:}).
 * Results are written into a hidden staging folder next to it and moved into place at the end, so a crash
 * or a failed write never leaves a half-written sweep where a complete one was, and an existing sweep is only
 * replaced when the user asked for it.
 */
public final class SweepDir {

    /** File names inside a sweep folder. */
    public static final String GRID_FILE = "grid.yaml";
    public static final String MANIFEST_FILE = "manifest.json";

    private final FileSystem fs;
    private final Path finalDir;
    private final Path staging;

    private SweepDir(FileSystem fs, Path finalDir, Path staging) {
        this.fs = fs;
        this.finalDir = finalDir;
        this.staging = staging;
    }

    /**
     * Prepares {@code out/name}. Refuses an existing sweep folder unless {@code overwrite}, and an output path
     * that cannot be written; both before any trial runs.
     */
    public static SweepDir prepare(String out, String name, boolean overwrite, Configuration hadoop) {
        Path outPath = new Path(out);
        Path dir = new Path(outPath, name);
        FileSystem fs;
        try {
            fs = dir.getFileSystem(hadoop);
        } catch (IOException e) {
            throw new OutputException("output path '" + out + "' cannot be used: " + e.getMessage());
        }
        try {
            if (fs.exists(dir) && !overwrite) {
                throw new OutputException("sweep directory '" + dir + "' already exists; pass --overwrite to replace it or choose another --out");
            }
            if (fs.exists(outPath) && !fs.getFileStatus(outPath).isDirectory()) {
                throw new OutputException("output path '" + out + "' is a file, not a directory");
            }
            Path staging = new Path(outPath, "." + name + ".incomplete");
            if (fs.exists(staging)) {
                fs.delete(staging, true);
            }
            if (!fs.mkdirs(staging)) {
                throw new OutputException("output path '" + out + "' cannot be written: could not create " + staging);
            }
            // Probe an actual write: mkdirs can succeed on paths where files cannot be created.
            Path probe = new Path(staging, ".write-check");
            try (FSDataOutputStream o = fs.create(probe, true)) {
                o.write(1);
            }
            fs.delete(probe, false);
            return new SweepDir(fs, dir, staging);
        } catch (OutputException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException("output path '" + out + "' cannot be written: " + e.getMessage());
        }
    }

    /** Where a dataset is written during the run. */
    public String stagingPath(String dataset) {
        return new Path(staging, dataset).toString();
    }

    /** The final folder. */
    public String path() {
        return finalDir.toString();
    }

    public String qualifiedPath() {
        return fs.makeQualified(finalDir).toString();
    }

    public void writeText(String fileName, String text) {
        try (FSDataOutputStream o = fs.create(new Path(staging, fileName), true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + fileName + " to " + staging, e);
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

    /** Removes the staging folder after a run that wrote nothing worth keeping. */
    public void abandon() {
        try {
            fs.delete(staging, true);
        } catch (IOException e) {
            // Best effort: a leftover hidden staging folder is removed by the next run of the same sweep.
        }
    }
}
