package dev.burrow.daemon.microvms;

/** The resource's state forbids the call (409), e.g. exec on a microVM that is not RUNNING. */
public final class ConflictException extends IllegalStateException {
    public ConflictException(String message) {
        super(message);
    }
}
