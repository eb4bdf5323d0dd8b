package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Send credit of one stream direction (docs/PROTOCOL.md "Flow control"): a data frame takes its
 * payload plus {@link Frame#DATA_FRAME_COST}.
 */
public final class Credit {

    public static final int INITIAL_WINDOW = 262144;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();
    private long credit = INITIAL_WINDOW;
    private boolean cancelled;

    /**
     * Waits until a frame of at least one byte (or, for {@code wanted == 0}, an empty frame) fits,
     * and takes the credit of a frame of up to {@code wanted} bytes. Returns the payload bytes it may carry.
     */
    public int take(int wanted, Duration timeout) throws AgentException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long needed = Frame.cost(Math.min(wanted, 1));
        lock.lock();
        try {
            while (credit < needed && !cancelled) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AgentException("guest did not accept more input for " + timeout.toMillis() + " ms");
                }
                available.awaitNanos(left);
            }
            if (cancelled) {
                throw new AgentException("stream is closed");
            }
            int n = (int) Math.min(wanted, credit - Frame.DATA_FRAME_COST);
            credit -= Frame.cost(n);
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted", e);
        } finally {
            lock.unlock();
        }
    }

    /** @return false when the increment would overflow the window (a protocol violation). */
    public boolean grant(long increment) {
        lock.lock();
        try {
            if (increment < 0 || credit + increment > Integer.MAX_VALUE) {
                return false;
            }
            credit += increment;
            available.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    public void cancel() {
        lock.lock();
        try {
            cancelled = true;
            available.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
