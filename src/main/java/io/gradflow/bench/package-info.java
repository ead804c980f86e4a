/**
 * The benchmark harness behind {@code gradflow bench}: the machine's single-core SGEMM rate through ND4J, the
 * per-step time and achieved GFLOP/s of representative networks, the overhead of gradient-flow statistics, the
 * scheduling efficiency of a sweep, {@code local[1]} against {@code local[2]}, and peak resident memory, all
 * measured side by side in one run so that ratios survive a noisy shared machine.
 */
package io.gradflow.bench;
