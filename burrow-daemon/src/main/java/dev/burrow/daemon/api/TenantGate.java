package dev.burrow.daemon.api;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-tenant caps on concurrent calls and on concurrent long-lived streams, so one tenant's held
 * connections cannot take what another tenant's calls need: past a cap the call is refused with
 * 429 at once (never queued).
 */
final class TenantGate {

    /** One acquired slot; closing it gives it back (once). */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private final int maxInFlight;
    private final int maxStreams;
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> streams = new ConcurrentHashMap<>();
    private final AtomicInteger openStreams = new AtomicInteger();

    TenantGate(int maxInFlight, int maxStreams) {
        this.maxInFlight = maxInFlight;
        this.maxStreams = maxStreams;
    }

    Permit call(String tenant) {
        return acquire(inFlight, tenant, maxInFlight, "in-flight-requests", "calls", false);
    }

    Permit stream(String tenant) {
        return acquire(streams, tenant, maxStreams, "streams", "open streams (events follow, exec, exec stdin, uploads)", true);
    }

    /** Streams open now, all tenants together. */
    int openStreams() {
        return openStreams.get();
    }

    /** Waits until no stream is open or {@code timeout} passed; answers whether none is. */
    synchronized boolean awaitNoStreams(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (openStreams.get() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private synchronized void streamClosed() {
        if (openStreams.decrementAndGet() == 0) {
            notifyAll();
        }
    }

    private Permit acquire(ConcurrentHashMap<String, AtomicInteger> counts, String tenant, int limit, String quota,
                           String what, boolean stream) {
        AtomicInteger n = counts.computeIfAbsent(tenant, t -> new AtomicInteger());
        int now = n.incrementAndGet();
        if (now > limit) {
            n.decrementAndGet();
            throw ApiException.tooMany(quota, limit, now - 1, "this tenant already has " + (now - 1) + " concurrent " + what
                    + ", the limit is " + limit + "; close some or retry later");
        }
        if (stream) {
            openStreams.incrementAndGet();
        }
        AtomicInteger released = new AtomicInteger();
        return () -> {
            if (released.getAndIncrement() == 0) {
                n.decrementAndGet();
                if (stream) {
                    streamClosed();
                }
            }
        };
    }
}
