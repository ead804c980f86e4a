package io.gradflow.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;

import java.util.Map;

/**
 * How busy the task slots were while a sweep's trials ran: Σ executor time of the tasks (deserialization and run,
 * from Spark's task metrics) / (slots × (last task end − first task launch)). Unlike Σ trial wall time, it counts a
 * task's part write and the rebuilding of its trials as busy; what it leaves out is time in which a slot held no
 * task or waited for the scheduler. A few numbers on the driver, whatever the number of tasks.
 *
 * <p>It also reads the driver threads' CPU times ({@link DriverCpu}) when the first task starts: a job's stage
 * is submitted, its task binary serialized and broadcast and its task set built by Spark's DAG scheduler thread
 * after {@code submitJob} has returned, so that is the moment that separates starting the job from running it.
 */
final class SlotUse extends SparkListener {

    private long first = Long.MAX_VALUE;
    private long last = Long.MIN_VALUE;
    private long busy;
    private int tasks;
    private Map<String, Long> cpuAtFirstLaunch;

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart start) {
        if (cpuAtFirstLaunch == null) {
            cpuAtFirstLaunch = DriverCpu.snapshot();
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        TaskInfo t = end.taskInfo();
        if (t == null || t.finishTime() <= 0) {
            return;
        }
        first = Math.min(first, t.launchTime());
        last = Math.max(last, t.finishTime());
        if (end.taskMetrics() != null) {
            busy += end.taskMetrics().executorDeserializeTime() + end.taskMetrics().executorRunTime();
        }
        tasks++;
    }

    /** The busy share of {@code slots} slots, in [0, 1]; NaN before any task ended. */
    synchronized double share(int slots) {
        if (tasks == 0 || last <= first) {
            return Double.NaN;
        }
        return busy / ((double) Math.max(1, slots) * (last - first));
    }

    /** The driver threads' CPU times when the first task started; null before that. */
    synchronized Map<String, Long> cpuAtFirstLaunch() {
        return cpuAtFirstLaunch;
    }

    synchronized int tasks() {
        return tasks;
    }
}
