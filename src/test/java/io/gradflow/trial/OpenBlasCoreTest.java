package io.gradflow.trial;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class OpenBlasCoreTest {

    private static final Set<String> SKX = Set.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw",
            "avx512dq", "avx512vl");

    @Test
    void kernelsFollowTheInstructionSets() {
        assertThat(OpenBlasCore.forCpu("GenuineIntel", SKX)).contains("SkylakeX");
        Set<String> noVl = new java.util.HashSet<>(SKX);
        noVl.remove("avx512vl");
        assertThat(OpenBlasCore.forCpu("GenuineIntel", noVl)).as("AVX-512 without VL is not Skylake-X's set").contains("Haswell");
        assertThat(OpenBlasCore.forCpu("GenuineIntel", Set.of("avx", "avx2", "fma"))).contains("Haswell");
        assertThat(OpenBlasCore.forCpu("GenuineIntel", Set.of("avx", "avx2"))).as("AVX2 without FMA").isEmpty();
        assertThat(OpenBlasCore.forCpu("GenuineIntel", Set.of("sse4_2", "avx"))).isEmpty();
        assertThat(OpenBlasCore.forCpu("AuthenticAMD", SKX)).as("AMD's AVX-512 (Zen 4) keeps OpenBLAS 0.3.19's Zen kernels").contains("Zen");
        assertThat(OpenBlasCore.forCpu("AuthenticAMD", Set.of("avx2", "fma"))).contains("Zen");
        assertThat(OpenBlasCore.forCpu("HygonGenuine", SKX)).isEmpty();
        assertThat(OpenBlasCore.forCpu("", Set.of())).isEmpty();
    }

    @Test
    void cpuinfoIsReadFromTheFirstProcessor() {
        String text = """
                processor	: 0
                vendor_id	: GenuineIntel
                model		: 207
                flags		: fpu SSE4_2 avx avx2 fma avx512f

                processor	: 1
                vendor_id	: AuthenticAMD
                flags		: fpu sse2
                """;
        OpenBlasCore.Cpu cpu = OpenBlasCore.parseCpuinfo(text);
        assertThat(cpu.vendor()).isEqualTo("GenuineIntel");
        assertThat(cpu.flags()).contains("sse4_2", "avx2", "fma", "avx512f").doesNotContain("sse2");
        OpenBlasCore.Cpu arm = OpenBlasCore.parseCpuinfo("processor\t: 0\nFeatures\t: fp asimd\n\n");
        assertThat(arm.vendor()).isEmpty();
        assertThat(arm.flags()).isEmpty();
    }

    /** This JVM (configured by the tests' extension before ND4J loaded): the library runs what was chosen. */
    @Test
    void theLoadedLibraryRunsTheChosenKernels() throws IOException {
        String inUse = OpenBlasCore.inUse();
        assertThat(inUse).isNotEqualTo("unknown");
        String note = OpenBlasCore.note();
        String env = System.getenv(OpenBlasCore.ENV);
        if (env != null && !env.isBlank()) {
            assertThat(note).startsWith("set by the environment");
            assertThat(inUse).isEqualToIgnoringCase(env);
        } else if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
            OpenBlasCore.Cpu cpu = OpenBlasCore.parseCpuinfo(
                    Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.ISO_8859_1));
            var expected = OpenBlasCore.forCpu(cpu.vendor(), cpu.flags());
            if (expected.isPresent()) {
                assertThat(note).isEqualTo("chosen by gradflow (OPENBLAS_CORETYPE=" + expected.get() + ")");
                assertThat(inUse).isEqualTo(expected.get());
            }
        }
    }

    /** The system property forces a core, in a JVM of its own (OpenBLAS decides once per process). */
    @Test
    void thePropertyForcesAKernelSetInAFreshJvm() throws Exception {
        String flags = Files.isReadable(Path.of("/proc/cpuinfo"))
                ? String.join(" ", OpenBlasCore.parseCpuinfo(Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.ISO_8859_1)).flags())
                : "";
        // Haswell differs from what gradflow picks on an AVX-512 CPU, and runs on any AVX2 one.
        String forced = flags.contains("avx2") && flags.contains("fma") ? "Haswell" : "Prescott";
        assertThat(child("-D" + OpenBlasCore.PROPERTY + "=" + forced))
                .isEqualTo(forced + " | chosen by gradflow (OPENBLAS_CORETYPE=" + forced + ")");
        assertThat(child("-D" + OpenBlasCore.PROPERTY + "=off")).endsWith(" | left to OpenBLAS (" + OpenBlasCore.PROPERTY + "=off)");
    }

    private static String child(String property) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), property, "-cp", System.getProperty("java.class.path"),
                Child.class.getName()).redirectErrorStream(false);
        pb.environment().remove(OpenBlasCore.ENV);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** Prints the kernels in use and how they were chosen. */
    public static final class Child {
        public static void main(String[] args) {
            OpenBlasCore.configure();
            System.out.println(OpenBlasCore.inUse() + " | " + OpenBlasCore.note());
        }
    }
}
