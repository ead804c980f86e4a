package io.gradflow.spark;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * CPU time spent by the driver's own threads: every live JVM thread except Spark's executor task threads (which,
 * in local mode, share the driver's JVM and train the trials) and the JIT compiler threads. Garbage collection
 * runs outside Java threads and is not counted, nor are threads that ended before the reading. The scale benchmark
 * divides its growth over the trials by the trials recorded (issue target: under 0.2 ms per trial).
 */
final class DriverCpu {

    private DriverCpu() {
    }

    /** Nanoseconds of CPU of the driver's live threads; -1 where the JVM cannot measure thread CPU time. */
    static long nanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            return -1;
        }
        if (!mx.isThreadCpuTimeEnabled()) {
            mx.setThreadCpuTimeEnabled(true);
        }
        long total = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t == null || t.getThreadName().startsWith("Executor task launch worker")
                    || t.getThreadName().contains("CompilerThread")) {
                continue;
            }
            long ns = mx.getThreadCpuTime(t.getThreadId());
            if (ns > 0) {
                total += ns;
            }
        }
        return total;
    }
}
