package dev.burrow.daemon.ingress;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Idle keep-alive streams, at most {@code perTarget} per (microVM, port). A stream is reused only
 * on the guest channel it was opened on (a suspend ends them all) and only while younger than
 * {@code maxIdleNanos}; the newest idle one goes first.
 */
final class GuestPool {

    private record Idle(GuestLink link, Object channel, long sinceNanos) {}

    private final int perTarget;
    private final long maxIdleNanos;
    private final Map<String, Deque<Idle>> idle = new ConcurrentHashMap<>();

    GuestPool(int perTarget, long maxIdleNanos) {
        this.perTarget = perTarget;
        this.maxIdleNanos = maxIdleNanos;
    }

    private static String key(String microVmId, int port) {
        return microVmId + ":" + port;
    }

    /** An idle stream to reuse, or null. */
    GuestLink take(String microVmId, int port, Object channel) {
        Deque<Idle> q = idle.get(key(microVmId, port));
        if (q == null) {
            return null;
        }
        long now = System.nanoTime();
        List<GuestLink> stale = new ArrayList<>();
        GuestLink found = null;
        synchronized (q) {
            while (!q.isEmpty()) {
                Idle i = q.pollFirst();
                if (i.channel == channel && now - i.sinceNanos < maxIdleNanos) {
                    found = i.link;
                    break;
                }
                stale.add(i.link);
            }
        }
        stale.forEach(GuestLink::close);
        return found;
    }

    /** Keeps {@code link} for reuse, or closes it when the target has its share already. */
    void give(String microVmId, int port, Object channel, GuestLink link) {
        String key = key(microVmId, port);
        while (true) {
            Deque<Idle> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
            synchronized (q) {
                if (idle.get(key) != q) {
                    continue; // a sweep dropped this queue meanwhile
                }
                if (q.size() < perTarget) {
                    q.addFirst(new Idle(link, channel, System.nanoTime()));
                    return;
                }
            }
            link.close();
            return;
        }
    }

    /** Closes the streams idle for too long (and forgets empty targets). */
    void sweep() {
        long now = System.nanoTime();
        idle.forEach((key, q) -> {
            List<GuestLink> stale = new ArrayList<>();
            synchronized (q) {
                q.removeIf(i -> {
                    boolean old = now - i.sinceNanos >= maxIdleNanos;
                    if (old) {
                        stale.add(i.link);
                    }
                    return old;
                });
                if (q.isEmpty()) {
                    idle.remove(key, q);
                }
            }
            stale.forEach(GuestLink::close);
        });
    }

    /** Idle streams kept, in total. */
    int size() {
        return idle.values().stream().mapToInt(q -> {
            synchronized (q) {
                return q.size();
            }
        }).sum();
    }

    void closeAll() {
        idle.keySet().forEach(k -> {
            Deque<Idle> q = idle.remove(k);
            if (q != null) {
                synchronized (q) {
                    q.forEach(i -> i.link.close());
                    q.clear();
                }
            }
        });
    }
}
