package io.gradflow.grid;

/**
 * A grid file that cannot be used. The message is one full sentence naming the file, the line where the parser
 * knows it, the field and the value, and what is allowed; the CLI prints it and exits with code 2.
 */
public class GridException extends IllegalArgumentException {

    public GridException(String message) {
        super(message);
    }

    public GridException(String message, Throwable cause) {
        super(message, cause);
    }
}
