package io.gradflow.bench;

/**
 * Runs one per-step benchmark shape for long enough to profile it:
 * {@code StepProfile <width> <depth> <plain|bn|residual> [steps] [activation]}. Run it under JFR
 * ({@code -XX:StartFlightRecording}) to see where a training step's time goes.
 */
public final class StepProfile {
    public static void main(String[] args) {
        int width = Integer.parseInt(args[0]);
        int depth = Integer.parseInt(args[1]);
        String kind = args[2];
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 400;
        io.gradflow.grid.Activation act = args.length > 4 ? io.gradflow.grid.Activation.valueOf(args[4].toUpperCase())
                : io.gradflow.grid.Activation.RELU;
        Bench.Shape s = new Bench.Shape(width, depth, kind.equals("bn"), kind.equals("residual"));
        for (int round = 0; round < 3; round++) {
            Bench.StepTiming t = Bench.step(s, 128, steps, act);
            System.out.printf("round %d: %.2f ms/step (min %.2f), %.2f GFLOP/s%n", round, t.msPerStep(), t.msMin(), t.gflops());
        }
    }
}
