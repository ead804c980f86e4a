package io.gradflow.trial;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses OpenBLAS's kernels for this machine's CPU before the library loads, and reports the kernels in use.
 *
 * <p>Why: the OpenBLAS that nd4j-native ships (0.3.19, a {@code DYNAMIC_ARCH} build) picks its kernels from the
 * CPU's family and model numbers, and a model it does not know (an Intel Xeon of model 207, Emerald Rapids, on this
 * project's machine) gets the generic {@code Prescott} kernels: SSE3 instead of AVX-512, and every GEMM 3–4× slower
 * (128 × 256 by 256 × 256: 520 µs against 125 µs with {@code SkylakeX}'s, BENCHMARKS.md). OpenBLAS reads the
 * environment variable {@code OPENBLAS_CORETYPE} once, when the library is loaded; this class sets it in the JVM's
 * own C environment (through JNA's {@code setenv}, which OpenBLAS's {@code getenv} sees) from the instruction sets
 * the CPU reports in {@code /proc/cpuinfo}, choosing the kernels a correct detection gives on such CPUs, so that each
 * machine of a cluster decides for itself and a CPU without AVX-512 never gets AVX-512 code.
 *
 * <p>It must run before ND4J or the OpenBLAS binding loads: {@code cli.Main}, the executors' plugin
 * ({@code spark.GradflowExecutorPlugin}), the Kryo registrator and {@link NativeThreads} call it first. Too late, it
 * changes nothing and says so in {@link #note()}. An {@code OPENBLAS_CORETYPE} the user set is kept; the system
 * property {@code gradflow.openblas.core} set to {@code off} leaves OpenBLAS's own detection alone, set to a core name
 * forces that name. The kernels decide the last bits of every GEMM, so the name in use is provenance: each trial's
 * {@code blas_core} column.
 */
public final class OpenBlasCore {

    /** System property: {@code auto} (the default), {@code off}, or an OpenBLAS core name to force. */
    public static final String PROPERTY = "gradflow.openblas.core";
    /** The environment variable OpenBLAS's {@code DYNAMIC_ARCH} builds read when they load. */
    public static final String ENV = "OPENBLAS_CORETYPE";

    private static final List<String> AVX512_SKX = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    private static boolean configured;
    private static String note = "not configured";
    private static String inUse;

    private OpenBlasCore() {
    }

    /** A CPU as {@code /proc/cpuinfo} describes its first processor: vendor id and instruction-set flags. */
    record Cpu(String vendor, Set<String> flags) {
        Cpu {
            flags = Set.copyOf(flags);
        }
    }

    /** The C library's {@code setenv}, through JNA. */
    public interface CLibrary extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /**
     * The OpenBLAS core whose kernels suit a CPU of this vendor and these {@code /proc/cpuinfo} flags, the ones a
     * correct detection by OpenBLAS 0.3.19 gives: {@code SkylakeX} for an Intel CPU with AVX-512 F, CD, BW, DQ and VL
     * (every Xeon since Skylake-SP; OpenBLAS's {@code Cooperlake} kernels measured slower here), {@code Haswell} for
     * an Intel one with AVX2 and FMA, {@code Zen} for an AMD one with AVX2 and FMA; empty otherwise (left to OpenBLAS).
     */
    public static Optional<String> forCpu(String vendor, Set<String> flags) {
        boolean intel = "GenuineIntel".equals(vendor);
        boolean amd = "AuthenticAMD".equals(vendor);
        boolean avx2 = flags.contains("avx2") && flags.contains("fma");
        if (intel && flags.containsAll(AVX512_SKX) && avx2) {
            return Optional.of("SkylakeX");
        }
        if (intel && avx2) {
            return Optional.of("Haswell");
        }
        if (amd && avx2) {
            return Optional.of("Zen");
        }
        return Optional.empty();
    }

    /**
     * The vendor and flags of the first processor in a {@code /proc/cpuinfo} text; empty vendor and flags when the
     * text has none (another architecture).
     */
    static Cpu parseCpuinfo(String text) {
        String vendor = "";
        Set<String> flags = new HashSet<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                if (line.isBlank() && !vendor.isEmpty()) {
                    break; // the first processor's block ended
                }
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("vendor_id") && vendor.isEmpty()) {
                vendor = value;
            } else if (key.equals("flags") && flags.isEmpty()) {
                flags.addAll(Arrays.asList(value.toLowerCase(Locale.ROOT).split("\\s+")));
            }
        }
        return new Cpu(vendor, flags);
    }

    /**
     * Sets {@code OPENBLAS_CORETYPE} for this JVM's OpenBLAS if nothing else decided it: once per JVM, before ND4J
     * loads. Never throws: the kernels change speed, not what is computed, so a failure leaves OpenBLAS's own choice
     * and a {@link #note()}.
     */
    public static synchronized void configure() {
        if (configured) {
            return;
        }
        configured = true;
        try {
            note = decide();
        } catch (RuntimeException | LinkageError e) {
            note = "left to OpenBLAS (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        }
    }

    private static String decide() {
        String mode = System.getProperty(PROPERTY, "auto").trim();
        if (mode.equalsIgnoreCase("off")) {
            return "left to OpenBLAS (" + PROPERTY + "=off)";
        }
        String user = System.getenv(ENV);
        if (user != null && !user.isBlank()) {
            return "set by the environment (" + ENV + "=" + user + ")";
        }
        if (loaded()) {
            return "left to OpenBLAS (it was loaded before gradflow could choose)";
        }
        Optional<String> core;
        if (mode.equalsIgnoreCase("auto")) {
            Path cpuinfo = Path.of("/proc/cpuinfo");
            if (!Files.isReadable(cpuinfo)) {
                return "left to OpenBLAS (no /proc/cpuinfo)";
            }
            String text;
            try {
                text = Files.readString(cpuinfo, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return "left to OpenBLAS (/proc/cpuinfo unreadable: " + e.getMessage() + ")";
            }
            Cpu cpu = parseCpuinfo(text);
            core = forCpu(cpu.vendor(), cpu.flags());
            if (core.isEmpty()) {
                return "left to OpenBLAS (no kernel choice for vendor '" + cpu.vendor() + "')";
            }
        } else {
            core = Optional.of(mode);
        }
        // JNA's own native stub, never a system one of another version (Debian's libjna-jni is on the JDK's path).
        if (System.getProperty("jna.nosys") == null) {
            System.setProperty("jna.nosys", "true");
        }
        CLibrary c = Native.loadLibrary("c", CLibrary.class);
        if (c.setenv(ENV, core.get(), 0) != 0) {
            return "left to OpenBLAS (setenv failed)";
        }
        return "chosen by gradflow (" + ENV + "=" + core.get() + ")";
    }

    private static boolean loaded() {
        for (String name : Loader.getLoadedLibraries().keySet()) {
            if (name.contains("openblas")) {
                return true;
            }
        }
        return false;
    }

    /** How the kernels were chosen in this JVM, for logs: by gradflow, by the environment, or left to OpenBLAS. */
    public static synchronized String note() {
        return note;
    }

    /**
     * The name of the kernels the OpenBLAS binding uses in this JVM ({@code openblas_get_corename}, e.g.
     * {@code SkylakeX}, {@code Haswell}, {@code Prescott}); loads the library (after {@link #configure()}) if it is
     * not loaded yet; {@code unknown} where it cannot be asked.
     */
    public static synchronized String inUse() {
        if (inUse == null) {
            configure();
            inUse = ask();
        }
        return inUse;
    }

    private static String ask() {
        try {
            Loader.load(openblas_nolapack.class);
            for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
                if (e.getKey().contains("openblas_nolapack") && e.getValue() != null && !e.getValue().isEmpty()) {
                    if (System.getProperty("jna.nosys") == null) {
                        System.setProperty("jna.nosys", "true");
                    }
                    // dlopen of the loaded path returns the same handle: the library does not initialise again.
                    Function f = NativeLibrary.getInstance(e.getValue()).getFunction("openblas_get_corename");
                    String name = (String) f.invoke(String.class, new Object[0]);
                    return name == null || name.isBlank() ? "unknown" : name.trim();
                }
            }
            return "unknown";
        } catch (RuntimeException | LinkageError e) {
            return "unknown";
        }
    }
}
