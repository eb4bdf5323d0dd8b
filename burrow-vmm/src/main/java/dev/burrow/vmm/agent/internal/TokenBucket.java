package dev.burrow.vmm.agent.internal;

/**
 * A token bucket that may go into debt: the reader takes what one read cost after the fact and
 * then waits until the bucket is out of debt. One read is bounded, so the debt is too.
 */
public final class TokenBucket {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private final long perSecond;
    private final long burst;
    private long tokens;
    private long last;

    public TokenBucket(long perSecond, long burst, long now) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
        this.last = now;
    }

    public synchronized void take(long n, long now) {
        refill(now);
        tokens -= n;
    }

    /** Takes one token if there is one. */
    public synchronized boolean tryTake(long now) {
        refill(now);
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }

    /** 0 when the bucket is out of debt, else how long until it is. */
    public synchronized long nanosUntilPositive(long now) {
        refill(now);
        return tokens >= 0 ? 0 : Math.ceilDiv(-tokens * NANOS_PER_SECOND, perSecond);
    }

    private void refill(long now) {
        long elapsed = now - last;
        if (elapsed <= 0) {
            return;
        }
        long add = Math.multiplyHigh(elapsed, perSecond) != 0 ? burst : elapsed * perSecond / NANOS_PER_SECOND;
        if (add > 0) {
            tokens = Math.min(burst, tokens + add);
            last = add >= burst ? now : last + add * NANOS_PER_SECOND / perSecond;
        }
    }
}
