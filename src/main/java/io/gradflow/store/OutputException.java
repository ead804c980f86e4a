package io.gradflow.store;

/** An output location that cannot be used; reported as bad input (exit code 2) before any trial runs. */
public class OutputException extends IllegalArgumentException {
    public OutputException(String message) {
        super(message);
    }
}
