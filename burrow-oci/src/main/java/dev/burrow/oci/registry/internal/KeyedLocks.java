package dev.burrow.oci.registry.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per key, held only while someone uses it: an entry is removed when its last user
 * releases it, so the map stays as small as the number of transfers in flight.
 */
public final class KeyedLocks {
    private static final class Slot {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    private final Map<String, Slot> slots = new HashMap<>();

    /** A held lock; close it to release. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Waits for {@code key}'s lock. */
    public Held lock(String key) throws InterruptedException {
        Slot s = enter(key);
        try {
            s.lock.lockInterruptibly();
        } catch (InterruptedException e) {
            leave(key, s);
            throw e;
        }
        return () -> {
            s.lock.unlock();
            leave(key, s);
        };
    }

    /** {@code key}'s lock if nobody holds it, else null. */
    public Held tryLock(String key) {
        Slot s = enter(key);
        if (!s.lock.tryLock()) {
            leave(key, s);
            return null;
        }
        return () -> {
            s.lock.unlock();
            leave(key, s);
        };
    }

    private synchronized Slot enter(String key) {
        Slot s = slots.computeIfAbsent(key, k -> new Slot());
        s.users++;
        return s;
    }

    private synchronized void leave(String key, Slot s) {
        if (--s.users == 0) {
            slots.remove(key);
        }
    }

    synchronized int size() {
        return slots.size();
    }
}
