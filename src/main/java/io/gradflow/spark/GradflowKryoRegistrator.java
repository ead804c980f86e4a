package io.gradflow.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.gradflow.trial.OpenBlasCore;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jSerializer;
import org.nd4j.kryo.primitives.AtomicDoubleSerializer;

/**
 * Registers gradflow's task inputs and results with Kryo, then does what ND4J's registrator does (nd4j-kryo
 * 1.0.0-M2 ships the serializers but no registrator class). Our values are Java records, which Spark's Kryo 4
 * cannot construct field by field, so they go through Java serialization: they are small (a grid or a batch of trial indices in, receipts
 * out per task) and that keeps them exact.
 */
public class GradflowKryoRegistrator implements KryoRegistrator {

    private static final String[] JAVA_SERIALIZED = {
            "io.gradflow.grid.TrialConfig",
            "io.gradflow.grid.GridSpec",
            "io.gradflow.store.TrialReceipt",
            "io.gradflow.spark.TrialTask$Batch",
            "io.gradflow.grid.Grid$Slice",
            "io.gradflow.grid.InitSpec",
            "io.gradflow.grid.ClipSpec",
            "io.gradflow.grid.PretrainSpec",
            "io.gradflow.grid.StopEarly",
            "io.gradflow.grid.StatsSchedule",
            "io.gradflow.grid.HealthThresholds",
            "io.gradflow.data.DatasetSpec",
            "io.gradflow.data.Dataset",
            "io.gradflow.trial.TrialResult",
            "io.gradflow.trial.TrialSummary",
            "io.gradflow.trial.LayerStat",
            "io.gradflow.trial.CurvePoint",
            "io.gradflow.trial.Provenance",
            "io.gradflow.trial.RunOptions",
            // distributed data of data-parallel trials: cached and shuffled rows, never ND4J arrays
            "io.gradflow.dp.Minibatch",
            "io.gradflow.dp.DistributedData$Example",
    };

    @Override
    public void registerClasses(Kryo kryo) {
        // An executor may deserialize ND4J arrays before its first trial: its OpenBLAS kernels are chosen first.
        OpenBlasCore.configure();
        ClassLoader loader = Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : getClass().getClassLoader();
        for (String name : JAVA_SERIALIZED) {
            kryo.register(load(name, loader), new JavaSerializer());
        }
        // ND4J's arrays, registered by name without initializing the class, so that creating a serializer does
        // not start the ND4J backend on a driver that never touches an array.
        kryo.register(load("org.nd4j.linalg.cpu.nativecpu.NDArray", loader), new Nd4jSerializer());
        kryo.register(org.nd4j.common.primitives.AtomicDouble.class, new AtomicDoubleSerializer());
        // The analysis' exact sums, which the Spark aggregates keep as Kryo-encoded buffers (their own compact
        // KryoSerializable form): registered last (the ids above stay as they were), so that a cluster with
        // spark.kryo.registrationRequired accepts them.
        kryo.register(load("io.gradflow.analysis.ExactSum", loader));
    }

    private static Class<?> load(String name, ClassLoader loader) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("class " + name + " is missing from the classpath; the application jar is incomplete", e);
        }
    }
}
