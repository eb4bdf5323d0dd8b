package dev.burrow.daemon.egress;

/** A microVM's egress services could not start (its path is missing, a port is taken). */
public final class EgressException extends RuntimeException {
    public EgressException(String message, Throwable cause) {
        super(message, cause);
    }
}
