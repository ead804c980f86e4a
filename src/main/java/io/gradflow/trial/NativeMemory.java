package io.gradflow.trial;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.MemoryWorkspaceManager;
import org.nd4j.linalg.api.memory.deallocation.DeallocatableReference;
import org.nd4j.linalg.api.memory.deallocation.DeallocatorService;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cpu.nativecpu.workspace.CpuWorkspaceDeallocator;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Frees a trial's native (off-heap) memory as soon as the trial ends, without the full garbage collection that
 * DL4J's own calls force. {@code ComputationGraph.close()} and
 * {@code WorkspaceManager.destroyAllWorkspacesForCurrentThread()} both end in {@code System.gc()}: a
 * stop-the-world full collection of 0.2–0.4 s per trial here (JFR {@code jdk.SystemGC} events; see BENCHMARKS.md),
 * which on {@code local[2]} also stops the other slot's trial. The large buffers are released explicitly instead,
 * and {@link #collect} asks for a collection that gradflow's JVMs run concurrently.
 */
public final class NativeMemory {

    /** True while a collection request is queued: later requests merge into it. */
    private static final AtomicBoolean PENDING = new AtomicBoolean();
    /** The daemon thread that calls {@code System.gc()} on behalf of the executor threads. */
    private static final ExecutorService COLLECTOR = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gradflow-gc-request");
        t.setDaemon(true);
        return t;
    });

    private NativeMemory() {
    }

    /**
     * Destroys every ND4J workspace of the calling thread (the executor thread Spark reuses for the next trial), and
     * at most every two seconds drops the deallocator service's entries of workspaces already collected
     * ({@link #forgetCollectedWorkspaces}).
     */
    public static void destroyThreadWorkspaces() {
        MemoryWorkspaceManager m = Nd4j.getWorkspaceManager();
        for (MemoryWorkspace ws : new ArrayList<>(m.getAllWorkspacesForCurrentThread())) {
            m.destroyWorkspace(ws);
        }
        long now = System.nanoTime();
        long last = LAST_FORGET.get();
        // At most every FORGET_INTERVAL: the map also holds every data buffer not yet collected (often 10^5 of them),
        // and walking it after each millisecond trial made such trials four times slower.
        if (now - last >= FORGET_INTERVAL_NANOS && LAST_FORGET.compareAndSet(last, now)) {
            forgetCollectedWorkspaces();
        }
    }

    /** How often the trials' clean-up walks the deallocator service's map: 2 s, a few MB of stale entries at most. */
    private static final long FORGET_INTERVAL_NANOS = 2_000_000_000L;
    private static final AtomicLong LAST_FORGET = new AtomicLong(System.nanoTime());

    /** ND4J's map of registered references, or null where this ND4J keeps it elsewhere (then nothing is dropped). */
    private static final Field REFERENCE_MAP = referenceMapField();

    private static Field referenceMapField() {
        try {
            Field f = DeallocatorService.class.getDeclaredField("referenceMap");
            f.setAccessible(true);
            return Map.class.isAssignableFrom(f.getType()) ? f : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Drops the entries of ND4J's {@code DeallocatorService} whose workspace the garbage collector has collected, and
     * returns how many. ND4J 1.0.0-M2.1 registers each workspace in the service's map under one id and stores
     * another in the reference ({@code CpuWorkspace.getUniqueId()} draws a new number on every call and
     * {@code pickObject} calls it twice), so the deallocator thread's removal by id never finds the entry: every
     * workspace ever created stays in the map with its deallocator, four per trial, about 1.6 KB of heap per trial
     * for good (1.8 GB of a 2 GB driver heap after a million trials on {@code local[2]}, BENCHMARKS.md "Scale"). A
     * cleared weak reference is already on its way to, or through, the service's reference queue, which holds it
     * strongly, so the deallocator thread still frees the workspace's native memory; only the map's stale copy goes.
     * Entries whose workspace is still reachable are kept. Safe from several threads (the map is concurrent).
     */
    public static int forgetCollectedWorkspaces() {
        if (REFERENCE_MAP == null) {
            return 0;
        }
        try {
            Map<?, ?> map = (Map<?, ?>) REFERENCE_MAP.get(Nd4j.getDeallocatorService());
            int n = 0;
            for (Iterator<?> it = map.values().iterator(); it.hasNext(); ) {
                if (it.next() instanceof DeallocatableReference r && r.get() == null
                        && r.getDeallocator() instanceof CpuWorkspaceDeallocator) {
                    it.remove();
                    n++;
                }
            }
            return n;
        } catch (IllegalAccessException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Releases a network's parameters, gradients and updater state, as {@code ComputationGraph.close()} does but
     * without its {@code System.gc()}. The network must not be used afterwards. Null is ignored.
     */
    public static void release(ComputationGraph g) {
        if (g == null) {
            return;
        }
        if (g instanceof io.gradflow.model.DirectGraph d) {
            d.releaseWorkingArrays();
        }
        close(g.params(), g.getFlattenedGradients());
        var u = g.getUpdater(false);
        if (u != null) {
            close(u.getStateViewArray());
        }
    }

    /**
     * Asks the JVM to collect the trial's garbage now. Without it the heap of a long-lived executor fills to its
     * maximum with dead ND4J array objects, each still holding its native buffer: resident memory grew from 0.4 to
     * 1.6 GB over 100 small trials at {@code -Xmx1g} (BENCHMARKS.md), which a container's memory limit would not
     * forgive. gradflow's launcher, {@code scripts/submit.sh}, {@code conf/spark-defaults.conf} and the tests run
     * their JVMs with {@code -XX:+ExplicitGCInvokesConcurrent}, which makes this a concurrent G1 cycle (pauses of a
     * few milliseconds) instead of a full stop-the-world collection, and with {@code -XX:MinHeapFreeRatio=10
     * -XX:MaxHeapFreeRatio=30}, which let G1 return the heap the cycle freed.
     */
    public static void collect() {
        // The thread that calls System.gc() waits for the whole concurrent cycle (about half a second here), so a
        // daemon thread makes the call and the executor thread goes on to its next trial. Requests that arrive
        // while one is pending are merged into it.
        if (PENDING.compareAndSet(false, true)) {
            COLLECTOR.execute(() -> {
                PENDING.set(false);
                System.gc();
            });
        }
    }

    /** Releases the buffers of arrays that own them; nulls, views and already closed arrays are skipped. */
    public static void close(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }
}
