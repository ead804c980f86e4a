package io.gradflow.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;

/**
 * How busy the task slots were while a sweep's trials ran: Σ executor time of the tasks (deserialization and run,
 * from Spark's task metrics) / (slots × (last task end − first task launch)). Unlike Σ trial wall time, it counts a
 * task's part write and the rebuilding of its trials as busy; what it leaves out is time in which a slot held no
 * task or waited for the scheduler. A few numbers on the driver, whatever the number of tasks.
 */
final class SlotUse extends SparkListener {

    private long first = Long.MAX_VALUE;
    private long last = Long.MIN_VALUE;
    private long busy;
    private int tasks;

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

    synchronized int tasks() {
        return tasks;
    }
}
