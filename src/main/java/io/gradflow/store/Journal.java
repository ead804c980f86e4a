package io.gradflow.store;

import io.gradflow.trial.TrialResult;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sweep's durable progress: one file per finished trial under {@code _progress/}, written by the driver the
 * moment the trial's result arrives. A driver crash therefore loses only the trials that were running, and
 * {@code --resume} reruns only trials without a file. Each file is written to a temporary name and renamed, so
 * a crash mid-write leaves no half file under a trial's name; a file that still cannot be read is ignored and
 * its trial runs again. Results are Java-serialized records: exact, and tolerant of added components.
 */
public final class Journal {

    public static final String DIR = "_progress";
    private static final String SUFFIX = ".result";

    private final FileSystem fs;
    private final Path dir;
    private int unreadable;

    Journal(FileSystem fs, Path sweepDir) {
        this.fs = fs;
        this.dir = new Path(sweepDir, DIR);
    }

    /** Records one finished trial durably. */
    public synchronized void write(TrialResult r) {
        Path tmp = new Path(dir, "." + r.trialId() + ".tmp");
        Path target = new Path(dir, r.trialId() + SUFFIX);
        try {
            fs.mkdirs(dir);
            try (FSDataOutputStream o = fs.create(tmp, true); ObjectOutputStream oos = new ObjectOutputStream(o)) {
                oos.writeObject(r);
                oos.flush();
                o.hsync();
            }
            if (fs.exists(target)) {
                fs.delete(target, false);
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename to " + target + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not record the result of trial " + r.trialId() + " in " + dir, e);
        }
    }

    /** Every readable result, by trial id. */
    public Map<String, TrialResult> readAll() {
        Map<String, TrialResult> out = new LinkedHashMap<>();
        unreadable = 0;
        try {
            if (!fs.exists(dir)) {
                return out;
            }
            for (FileStatus st : fs.listStatus(dir)) {
                String name = st.getPath().getName();
                if (!name.endsWith(SUFFIX)) {
                    continue;
                }
                try (FSDataInputStream in = fs.open(st.getPath()); ObjectInputStream ois = new ObjectInputStream(in)) {
                    TrialResult r = (TrialResult) ois.readObject();
                    if (!name.equals(r.trialId() + SUFFIX)) {
                        throw new IOException("file holds trial " + r.trialId());
                    }
                    out.put(r.trialId(), r);
                } catch (IOException | ClassNotFoundException | ClassCastException e) {
                    unreadable++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the progress journal " + dir, e);
        }
        return out;
    }

    /** How many journal files the last {@link #readAll()} could not read (their trials run again). */
    public int unreadable() {
        return unreadable;
    }

    public String path() {
        return dir.toString();
    }
}
