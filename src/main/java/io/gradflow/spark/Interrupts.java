package io.gradflow.spark;

import org.apache.spark.sql.SparkSession;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * Ctrl-C and SIGTERM during a sweep. The JVM's own handling runs the shutdown hooks, Spark's among them, which
 * stops the context under the running job and prints every failing thread's stack trace. Instead, the first
 * signal cancels the sweep's Spark jobs so that the driver returns normally: each trial already finished is in
 * the progress journal, and the command prints one line ({@link #message()}) and exits with {@link #EXIT_CODE}.
 * In case the driver is busy outside Spark and does not return, a watchdog prints the line and halts after
 * {@link #GRACE_MILLIS}; a second signal does so at once.
 */
public final class Interrupts implements AutoCloseable {

    /** The exit code of an interrupted sweep: 128 + SIGINT, what shells report for Ctrl-C. */
    public static final int EXIT_CODE = 130;
    static final long GRACE_MILLIS = 15_000;
    private static final String[] SIGNALS = {"INT", "TERM"};

    private final PrintStream err;
    private final AtomicBoolean requested = new AtomicBoolean();
    private final AtomicBoolean reported = new AtomicBoolean();
    private final SignalHandler[] previous = new SignalHandler[SIGNALS.length];
    private volatile SparkSession spark;
    private volatile IntSupplier kept = () -> 0;
    private volatile long total;
    private volatile boolean started;

    private Interrupts(PrintStream err) {
        this.err = err;
    }

    /** Handles SIGINT and SIGTERM until {@link #close()}, which puts back the handlers that were there before. */
    public static Interrupts install(PrintStream err, long totalTrials) {
        Interrupts i = new Interrupts(err);
        i.total = totalTrials;
        for (int k = 0; k < SIGNALS.length; k++) {
            try {
                i.previous[k] = Signal.handle(new Signal(SIGNALS[k]), s -> i.signalled());
            } catch (IllegalArgumentException e) {
                // The signal is not available here (e.g. the JVM runs with -Xrs): the JVM's default remains.
            }
        }
        return i;
    }

    /** The session whose jobs a signal cancels. */
    void attach(SparkSession session) {
        this.spark = session;
    }

    /** What the line reports: the grid's trial count and how many trials the journal holds at that moment. */
    void track(long totalTrials, IntSupplier keptTrials) {
        this.total = totalTrials;
        this.kept = keptTrials;
    }

    /** The sweep folder exists (a sweep resumed, or a new one begun): from now on a rerun needs --resume. */
    void started() {
        this.started = true;
    }

    /** True once a signal arrived. */
    public boolean requested() {
        return requested.get();
    }

    /**
     * {@code interrupted: N of M trials kept; rerun with --resume}, or, before the sweep folder existed (Spark still
     * starting, the grid still being prepared), that nothing was written: {@code --resume} would find no sweep.
     */
    public String message() {
        if (!started) {
            return "interrupted before the sweep began; nothing was written, so run the same command again";
        }
        return "interrupted: " + kept.getAsInt() + " of " + total + " trials kept; rerun with --resume";
    }

    /** Prints {@link #message()} to stderr, once whoever calls first (the command or the watchdog). */
    public void report() {
        if (reported.compareAndSet(false, true)) {
            err.println("gradflow: " + message());
            err.flush();
        }
    }

    /**
     * Signal handling that no signal reaches: {@link #request()} stands for the first signal (tests of what the sweep
     * does when interrupted at a given moment, in the test's own JVM).
     */
    static Interrupts unhandled(PrintStream err) {
        return new Interrupts(err);
    }

    private void signalled() {
        if (!requested.compareAndSet(false, true)) {
            report();
            Runtime.getRuntime().halt(EXIT_CODE);
        }
        cancelJobs();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(GRACE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            report();
            Runtime.getRuntime().halt(EXIT_CODE);
        }, "gradflow-interrupt-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** What the first signal does, without the watchdog that would halt the JVM. */
    void request() {
        requested.set(true);
        cancelJobs();
    }

    private void cancelJobs() {
        SparkSession s = spark;
        if (s != null) {
            try {
                s.sparkContext().cancelAllJobs();
            } catch (RuntimeException e) {
                // the context is already stopping: the driver returns on its own
            }
        }
    }

    @Override
    public void close() {
        for (int k = 0; k < SIGNALS.length; k++) {
            if (previous[k] != null) {
                Signal.handle(new Signal(SIGNALS[k]), previous[k]);
            }
        }
    }
}
