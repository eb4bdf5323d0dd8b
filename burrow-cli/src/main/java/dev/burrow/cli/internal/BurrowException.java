package dev.burrow.cli.internal;

/** A Burrow error: the CLI prints {@code burrow: <message>} and exits 125. */
public class BurrowException extends RuntimeException {
    private final int status;
    private final String type;

    public BurrowException(String message) {
        this(message, 0, null, null);
    }

    public BurrowException(String message, Throwable cause) {
        this(message, 0, null, cause);
    }

    public BurrowException(String message, int status, String type, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.type = type;
    }

    /** The HTTP status when the error came from burrowd, else 0. */
    public int status() { return status; }

    /** The last path segment of the problem type when the error came from burrowd, else null. */
    public String type() { return type; }
}
