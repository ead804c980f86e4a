package io.gradflow.trial;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.MemoryWorkspaceManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;

/**
 * Frees a trial's native (off-heap) memory as soon as the trial ends, without the full garbage collection that
 * DL4J's own calls force. {@code ComputationGraph.close()} and
 * {@code WorkspaceManager.destroyAllWorkspacesForCurrentThread()} both end in {@code System.gc()}: a
 * stop-the-world full collection of 0.2–0.4 s per trial here (JFR {@code jdk.SystemGC} events; see BENCHMARKS.md),
 * which on {@code local[2]} also stops the other slot's trial. The large buffers are released explicitly instead;
 * everything small is left to ordinary young collections.
 */
public final class NativeMemory {

    private NativeMemory() {
    }

    /** Destroys every ND4J workspace of the calling thread (the executor thread Spark reuses for the next trial). */
    public static void destroyThreadWorkspaces() {
        MemoryWorkspaceManager m = Nd4j.getWorkspaceManager();
        for (MemoryWorkspace ws : new ArrayList<>(m.getAllWorkspacesForCurrentThread())) {
            m.destroyWorkspace(ws);
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
        close(g.params(), g.getFlattenedGradients());
        var u = g.getUpdater(false);
        if (u != null) {
            close(u.getStateViewArray());
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
