package io.gradflow.spark;

import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.scheduler.TaskLocality;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the driver's CPU for starting a job ends: at the first task's launch, read once. */
class SlotUseTest {

    private static SparkListenerTaskStart start(long id) {
        return new SparkListenerTaskStart(0, 0, new TaskInfo(id, (int) id, 0, (int) id, System.currentTimeMillis(),
                "driver", "localhost", TaskLocality.PROCESS_LOCAL(), false));
    }

    @Test
    void theDriversCpuIsReadAtTheFirstTaskLaunchAndNotAgain() throws Exception {
        SlotUse use = new SlotUse();
        assertThat(use.cpuAtFirstLaunch()).isNull();
        use.onTaskStart(start(0));
        Map<String, Long> first = use.cpuAtFirstLaunch();
        // this very thread is a driver thread (not a task thread): it is in the reading, with the CPU it had used
        assertThat(first).containsKey(Thread.currentThread().getName());
        long spin = System.nanoTime();
        while (System.nanoTime() - spin < 20_000_000) {
            Thread.onSpinWait(); // use some CPU, so that a second reading would differ
        }
        use.onTaskStart(start(1));
        assertThat(use.cpuAtFirstLaunch()).isSameAs(first);
        assertThat(DriverCpu.snapshot().get(Thread.currentThread().getName()))
                .isGreaterThan(first.get(Thread.currentThread().getName()));
        assertThat(use.tasks()).isZero(); // starts are not tasks done: only task ends count
    }
}
