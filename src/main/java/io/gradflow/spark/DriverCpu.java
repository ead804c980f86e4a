package io.gradflow.spark;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time spent by the driver's own threads: every live JVM thread except those doing the trials' work, which in
 * local mode share the driver's JVM: Spark's executor task threads, ND4J's and JavaCPP's deallocators (they free
 * the trials' native buffers), the JVM's reference handler and the process reaper (Hadoop's local file system forks
 * a chmod per part file the tasks write), and the JIT compiler threads. Garbage collection runs outside Java
 * threads and is not counted, nor are threads that ended before the reading. The scale benchmark divides the
 * growth over the trials by the trials recorded (issue target: under 0.2 ms per trial).
 */
final class DriverCpu {

    /** With -Dgradflow.driver.cpu.threads=true the sweep also prints the driver threads that used the most CPU. */
    static final String THREADS_PROPERTY = "gradflow.driver.cpu.threads";

    private static final List<String> TRIAL_WORK = List.of("Executor task launch worker", "DeallocatorServiceThread",
            "JavaCPP Deallocator", "Reference Handler", "process reaper", "CompilerThread");

    private DriverCpu() {
    }

    /** CPU nanoseconds of each live driver thread by name (threads of one name summed); empty where unmeasurable. */
    static Map<String, Long> snapshot() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new HashMap<>();
        if (!mx.isThreadCpuTimeSupported()) {
            return out;
        }
        if (!mx.isThreadCpuTimeEnabled()) {
            mx.setThreadCpuTimeEnabled(true);
        }
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t == null || TRIAL_WORK.stream().anyMatch(w -> t.getThreadName().contains(w))) {
                continue;
            }
            long ns = mx.getThreadCpuTime(t.getThreadId());
            if (ns > 0) {
                out.merge(t.getThreadName(), ns, Long::sum);
            }
        }
        return out;
    }

    static long total(Map<String, Long> snapshot) {
        return snapshot.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The threads whose CPU grew most from {@code before} to {@code after}, as "name 12 ms, ...". */
    static String top(Map<String, Long> before, Map<String, Long> after, int n) {
        List<Map.Entry<String, Long>> d = new ArrayList<>();
        after.forEach((k, v) -> d.add(Map.entry(k, v - before.getOrDefault(k, 0L))));
        d.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Long> e : d.subList(0, Math.min(n, d.size()))) {
            parts.add(String.format(Locale.ROOT, "%s %.0f ms", e.getKey(), e.getValue() / 1e6));
        }
        return String.join(", ", parts);
    }
}
