package dev.burrow.daemon.store;

/**
 * A call would take a tenant past one of its {@link Quotas}: the API answers 429
 * {@code quota-exceeded} with these members. {@code current} and {@code requested} are in the
 * quota's unit (microVMs, vCPUs, MiB, builds).
 */
public final class QuotaExceededException extends RuntimeException {

    private final String quota;
    private final long limit;
    private final long current;
    private final long requested;

    public QuotaExceededException(String quota, long limit, long current, long requested, String detail) {
        super(detail);
        this.quota = quota;
        this.limit = limit;
        this.current = current;
        this.requested = requested;
    }

    public String quota() {
        return quota;
    }

    public long limit() {
        return limit;
    }

    public long current() {
        return current;
    }

    public long requested() {
        return requested;
    }
}
