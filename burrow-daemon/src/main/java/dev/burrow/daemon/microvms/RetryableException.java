package dev.burrow.daemon.microvms;

/** The call could not be served now but can be retried as is (503 with Retry-After). */
public final class RetryableException extends RuntimeException {

    private final int retryAfterSeconds;

    public RetryableException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
