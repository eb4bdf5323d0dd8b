package dev.burrow.daemon.egress;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every microVM's egress decisions: the newest {@code kept} per microVM, in memory (a DNS query
 * each is too many writes for the one SQLite writer). They live as long as the microVM in this
 * daemon: kept across suspend and resume, dropped when it ends; a restart starts them afresh
 * (docs/egress.md). Ordered by a sequence number, which is the list cursor.
 */
public final class DecisionLog {

    private final int kept;
    private final Clock clock;
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, Deque<Decision>> byVm = new ConcurrentHashMap<>();

    public DecisionLog(int kept, Clock clock) {
        this.kept = kept;
        this.clock = clock;
    }

    public Decision record(String vmId, String protocol, String name, int port, boolean allowed, String reason) {
        Decision d = new Decision(seq.incrementAndGet(), clock.instant(), protocol, name, port,
                allowed ? Decision.ALLOWED : Decision.DENIED, reason);
        Deque<Decision> ring = byVm.computeIfAbsent(vmId, k -> new ArrayDeque<>());
        synchronized (ring) {
            ring.addLast(d);
            while (ring.size() > kept) {
                ring.removeFirst();
            }
        }
        return d;
    }

    /** Up to {@code limit} decisions of {@code vmId} after sequence {@code after} (0: from the oldest kept), oldest first. */
    public List<Decision> after(String vmId, long after, int limit) {
        Deque<Decision> ring = byVm.get(vmId);
        if (ring == null) {
            return List.of();
        }
        synchronized (ring) {
            return ring.stream().filter(d -> d.seq() > after).limit(limit).toList();
        }
    }

    /** The microVM ended: its decisions go. */
    public void forget(String vmId) {
        byVm.remove(vmId);
    }
}
