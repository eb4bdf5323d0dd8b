package dev.burrow.daemon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent event log: a monotonically increasing {@code seq} per event. Listeners
 * ({@link #onAppend}) hear each event after its transaction commits, so a follower woken by one
 * always finds it with {@link #since}.
 */
public final class EventLog {

    private static final Logger log = LoggerFactory.getLogger(EventLog.class);
    private static final String COLUMNS = "seq, time, kind, resource_id, from_state, to_state, reason, request_id, tenant_id";

    private final Database db;
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();

    public EventLog(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    /** Appends an event in its own transaction; returns its seq. */
    public long append(String kind, String resourceId, String from, String to, String reason, String requestId, String tenantId) {
        return db.write(c -> append(c, kind, resourceId, from, to, reason, requestId, tenantId));
    }

    /**
     * Appends an event inside the caller's {@link Database#write} (so a state change and its event
     * commit together); listeners hear it after that write commits.
     */
    public long append(Connection c, String kind, String resourceId, String from, String to, String reason,
                       String requestId, String tenantId) throws SQLException {
        Instant now = Instant.now();
        long seq;
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO events(time, kind, resource_id, from_state, to_state, reason, request_id, tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, Times.format(now));
            ps.setString(2, Objects.requireNonNull(kind, "kind"));
            ps.setString(3, resourceId);
            ps.setString(4, from);
            ps.setString(5, to);
            ps.setString(6, reason);
            ps.setString(7, requestId);
            ps.setString(8, tenantId);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                seq = keys.getLong(1);
            }
        }
        Event e = new Event(seq, now, kind, resourceId, from, to, reason, requestId, tenantId);
        db.afterCommit(() -> notify(e));
        return seq;
    }

    private void notify(Event e) {
        for (Consumer<Event> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                log.warn("event listener failed on event {}", e.seq(), ex);
            }
        }
    }

    /**
     * Calls {@code listener} with every event appended from now on, after it is committed, on the
     * appending thread (keep it short: wake a follower, do not do I/O). Close the result to stop.
     */
    public AutoCloseable onAppend(Consumer<Event> listener) {
        listeners.add(Objects.requireNonNull(listener));
        return () -> listeners.remove(listener);
    }

    /**
     * Up to {@code limit} events with seq greater than {@code afterSeq}, in seq order; only the
     * tenant's events, or everyone's when {@code tenantId} is null (admin).
     */
    public List<Event> since(String tenantId, long afterSeq, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1; got " + limit);
        }
        return db.read(c -> {
            String sql = "SELECT " + COLUMNS + " FROM events WHERE seq > ?" + (tenantId == null ? "" : " AND tenant_id = ?")
                    + " ORDER BY seq LIMIT ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setLong(i++, afterSeq);
                if (tenantId != null) {
                    ps.setString(i++, tenantId);
                }
                ps.setInt(i, limit);
                List<Event> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Event(rs.getLong(1), Times.parse(rs.getString(2)), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9)));
                    }
                }
                return out;
            }
        });
    }

    /** The newest seq (0 when empty): where a follower that wants only new events starts. */
    public long lastSeq() {
        return db.read(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT coalesce(max(seq), 0) FROM events")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Deletes events older than {@code before} (retention); returns how many. Seqs are never reused. */
    public int deleteOlderThan(Instant before) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM events WHERE time < ?")) {
                ps.setString(1, Times.format(before));
                return ps.executeUpdate();
            }
        });
    }

    /** Deletes the events older than the newest {@code keep} seqs, leaving at most {@code keep} (a row cap besides the age); returns how many. */
    public int keepNewest(long keep) {
        if (keep < 0) {
            throw new IllegalArgumentException("keep must be at least 0; got " + keep);
        }
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM events WHERE seq <= (SELECT coalesce(max(seq), 0) FROM events) - ?")) {
                ps.setLong(1, keep);
                return ps.executeUpdate();
            }
        });
    }
}
