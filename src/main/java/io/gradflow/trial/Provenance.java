package io.gradflow.trial;

import java.io.Serializable;

/**
 * Where and with what a trial ran: enough to trace a row to its software and machine.
 *
 * @param gradflowVersion this tool's version
 * @param dl4jVersion     Deeplearning4j version
 * @param sparkVersion    Spark version of the executor ("none" outside Spark)
 * @param javaVersion     the executor JVM's version
 * @param blasCore        the OpenBLAS kernels the executor JVM used ({@link OpenBlasCore#inUse()}); null for data
 *                        trials, whose GEMMs run on the workers' JVMs
 * @param host            the executor's host name
 * @param executorId      Spark's executor id ("driver" in local mode, "none" outside Spark)
 * @param startedAtMillis start of the trial, epoch milliseconds
 */
public record Provenance(String gradflowVersion, String dl4jVersion, String sparkVersion, String javaVersion,
                         String blasCore, String host, String executorId, long startedAtMillis) implements Serializable {
}
