package dev.burrow.oci.dockerfile;

import dev.burrow.oci.ImageException;

/**
 * A Dockerfile cannot be parsed or evaluated. The message always names the line
 * ({@code Dockerfile line 7: unknown instruction 'RUNN'}); {@link #line()} is 0 when the problem
 * is the file as a whole.
 */
public class DockerfileException extends ImageException {
    private final int line;

    public DockerfileException(int line, String message) {
        super(line > 0 ? "Dockerfile line " + line + ": " + message : "Dockerfile: " + message);
        this.line = line;
    }

    /** The 1-based line of the instruction concerned, or 0 for the whole file. */
    public int line() {
        return line;
    }
}
