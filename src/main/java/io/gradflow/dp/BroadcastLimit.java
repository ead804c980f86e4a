package io.gradflow.dp;

import io.gradflow.data.Dataset;

import java.util.Locale;

/**
 * The largest dataset a task trial may receive: task trials get the whole dataset by broadcast, one copy per
 * executor and one per running trial in its heap, so data beyond a limit must be trained with
 * {@code parallelism: data}, where it stays in partitions. The limit is the Spark setting {@link #CONF}.
 */
public final class BroadcastLimit {

    /** Spark setting: the largest dataset, in bytes (Spark's size suffixes allowed), broadcast to task trials. */
    public static final String CONF = "spark.gradflow.broadcast.limit";
    /** 512 MiB: well under the 1–2 GiB executor heaps gradflow's configuration gives, with room for the trials. */
    public static final long DEFAULT_BYTES = 512L << 20;

    private BroadcastLimit() {
    }

    /** Bytes of a dataset's arrays as broadcast: 4 per feature value and per label. */
    public static long bytes(Dataset d) {
        return 4L * ((long) d.trainX().length + d.testX().length + d.trainY().length + d.testY().length);
    }

    /** The refusal for a task trial over the limit, or null when the data fit. */
    public static String refusal(String dataset, long bytes, long limit) {
        if (bytes <= limit) {
            return null;
        }
        return String.format(Locale.ROOT, "dataset %s takes %d MiB, more than the broadcast limit of %d MiB (%s) "
                + "that task trials allow; train it with training.parallelism: data, which keeps it in partitions, "
                + "or raise %s", dataset, bytes >> 20, limit >> 20, CONF, CONF);
    }
}
