package dev.burrow.daemon.space;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps a prune off the blobs of images being resolved. A build holds {@link #resolving()} (a
 * shared lock: builds never wait for each other) from the moment it starts resolving its source
 * until its {@code image.json} names the blobs it uses; a blob it re-uses or writes meanwhile is
 * named by nothing a prune could see. A prune sweeps blobs only when it gets the exclusive side
 * at once, and otherwise leaves them for the next prune: it never waits on a build, and a build
 * waits at most for one sweep of the blob directory.
 */
public final class BuildGate {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** The lock a build holds while it resolves and unpacks its image. */
    public Lock resolving() {
        return lock.readLock();
    }

    /** Builds resolving an image now. */
    public int resolvingNow() {
        return lock.getReadLockCount();
    }

    boolean tryExclusive() {
        return lock.writeLock().tryLock();
    }

    void releaseExclusive() {
        lock.writeLock().unlock();
    }
}
