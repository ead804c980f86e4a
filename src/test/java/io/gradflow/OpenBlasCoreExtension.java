package io.gradflow;

import io.gradflow.trial.OpenBlasCore;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Chooses OpenBLAS's kernels in the test JVM before any test can load ND4J, as {@code cli.Main} and the executors'
 * plugin do in gradflow's own JVMs: tests that compare a local sweep with one run by separate worker JVMs (the
 * standalone cluster) need both sides on the same kernels for the same bits. Registered for every test through
 * JUnit's extension auto-detection ({@code META-INF/services}, {@code junit-platform.properties}).
 */
public final class OpenBlasCoreExtension implements BeforeAllCallback {

    public OpenBlasCoreExtension() {
        OpenBlasCore.configure();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        OpenBlasCore.configure(); // a no-op after the constructor's call
    }
}
