package dev.burrow.vmm.agent.internal;

import java.util.ArrayDeque;

/** Counts corrupt frames in a sliding minute; more than the limit means the channel is beyond repair. */
public final class CorruptionBudget {

    private static final long WINDOW_NANOS = 60_000_000_000L;
    private final int limit;
    private final ArrayDeque<Long> times = new ArrayDeque<>();

    public CorruptionBudget(int limitPerMinute) {
        this.limit = limitPerMinute;
    }

    /** Records one corruption at {@code now}; returns true when the last minute holds more than the limit. */
    public synchronized boolean record(long now) {
        times.addLast(now);
        while (!times.isEmpty() && now - times.peekFirst() > WINDOW_NANOS) {
            times.removeFirst();
        }
        while (times.size() > limit + 1) {
            times.removeFirst();
        }
        return times.size() > limit;
    }
}
