package io.gradflow.cli;

import io.gradflow.grid.Activation;
import io.gradflow.grid.Axis;
import io.gradflow.grid.InitSpec;
import io.gradflow.theory.MeanField;
import io.gradflow.theory.Prediction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Prints the mean-field prediction at initialization for one plain network: per-block q and χ, and the flow. */
@Command(name = "theory", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Mean-field prediction at initialization for one plain network (no batch norm, no residual):",
                "the second moment q_l of each block's pre-activation, the per-block factor χ_l of ‖δ‖², and the",
                "predicted flow_log10 = log10(‖δ_1‖/‖δ_depth‖), the number a sweep measures at step 0."})
public final class TheoryCommand implements Callable<Integer> {

    @Option(names = "--activation", required = true, description = "Hidden activation: ${COMPLETION-CANDIDATES}.",
            converter = ActivationConverter.class, completionCandidates = ActivationNames.class)
    Activation activation;

    @Option(names = "--init", required = true, description = "xavier, he, lecun or normal(<std>).",
            converter = InitConverter.class)
    InitSpec init;

    // Required, so no default to show: picocli would print the field's initial 0 as if it were one.
    @Option(names = "--depth", required = true, description = "Hidden blocks.",
            showDefaultValue = CommandLine.Help.Visibility.NEVER)
    int depth;

    @Option(names = "--width", defaultValue = "64", description = "Units per block.")
    int width;

    @Option(names = "--inputs", defaultValue = "2", description = "Input features (standardized), the projection's fan-in; spirals have 2.")
    int inputs;

    @Option(names = "--input-moment", defaultValue = "1.0", description = "Second moment E[x²] of an input feature (1 for standardized data).")
    double inputMoment;

    @Option(names = "--all", description = "Print every block (default: all up to 30 blocks, else the first and last 5).")
    boolean all;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (depth < 1 || depth > 100_000) {
            throw new IllegalArgumentException("--depth " + depth + " is not allowed; it must be between 1 and 100000");
        }
        if (width < 1 || inputs < 1) {
            throw new IllegalArgumentException("--width " + width + " and --inputs " + inputs + " must be at least 1");
        }
        Prediction p = MeanField.predict(activation, init, depth, width, inputs, inputMoment);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("mean-field prediction at initialization: %s, init %s, depth %d, width %d, %d inputs with E[x²] = %s%n",
                activation.key(), init.key(), depth, width, inputs, fmt(inputMoment));
        out.printf("σw² = %s (hidden blocks), %s (input projection); σb² = 0 (biases start at 0)%n",
                fmt(p.sigmaW2()), fmt(p.sigmaW2Input()));
        out.printf("per-block factor of ‖δ‖² χ = %s (‖δ‖ × %s per block; geometric mean over blocks 1..%d)%n",
                fmt(p.chiPerBlock()), fmt(Math.sqrt(p.chiPerBlock())), Math.max(1, depth - 1));
        out.printf("flow_log10 = log10(‖δ_1‖/‖δ_%d‖) = %.4f%n", depth, p.flowLog10());
        List<List<String>> rows = new ArrayList<>();
        for (int l = 1; l <= depth; l++) {
            if (!all && depth > 30 && l == 6) {
                rows.add(List.of("...", "", "", ""));
                l = depth - 4;
            }
            rows.add(List.of(Integer.toString(l), fmt(p.q()[l - 1]), fmt(p.chi()[l - 1]),
                    String.format(Locale.ROOT, "%.4f", p.log10DeltaRelative(l))));
        }
        out.print(TextTable.render(List.of("block", "q (E z²)", "chi", "log10 ‖δ_l‖/‖δ_last‖"), rows));
        out.println("chi_l = σw² E[φ'(√q_l z)²] is the factor from ‖δ_{l+1}‖² to ‖δ_l‖²; batch-norm and residual nets are outside this theory.");
        out.flush();
        return Main.OK;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    /** Parses as a grid file does ({@link Axis#ACTIVATION}): any case, surrounding spaces ignored. */
    static final class ActivationConverter implements CommandLine.ITypeConverter<Activation> {
        @Override
        public Activation convert(String value) {
            return (Activation) asGrid(Axis.ACTIVATION, value);
        }
    }

    /** Parses as a grid file does ({@link Axis#INIT}): xavier, he, lecun or normal(std), in any case. */
    static final class InitConverter implements CommandLine.ITypeConverter<InitSpec> {
        @Override
        public InitSpec convert(String value) {
            return (InitSpec) asGrid(Axis.INIT, value);
        }
    }

    /** One parser for grids and this command, so a spelling a grid accepts is accepted here too. */
    private static Object asGrid(Axis axis, String value) {
        try {
            return axis.parse(value);
        } catch (IllegalArgumentException e) {
            // picocli prints a TypeConversionException's message as is, without the exception's class name.
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    static final class ActivationNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(Activation.values()).map(Activation::key).iterator();
        }
    }
}
