package dev.burrow.daemon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code Idempotency-Key} records (SPEC §0): the first request with a key stores its response; a
 * retry with the same key and the same request gets that response back, one with a different
 * request ({@link Stored#matches} false) is answered 422.
 *
 * <p>Two ways to use it: {@link #find} then {@link #save} (simple; two concurrent first attempts
 * may both run), or {@link #reserve} → work → {@link #complete} / {@link #release}, which lets
 * exactly one of several concurrent first attempts run.
 */
public final class IdempotencyKeys {

    /** A stored key. {@code status} and {@code response} are null while the first request is still running. */
    public record Stored(String tenantId, String key, String method, String path, String requestHash, Integer status,
                         String response, Instant createdAt) {

        /** Whether a request with these coordinates is a retry of the stored one (not a different request reusing the key). */
        public boolean matches(String method, String path, String requestHash) {
            return this.method.equals(method) && this.path.equals(path) && this.requestHash.equals(requestHash);
        }

        public boolean completed() {
            return status != null;
        }
    }

    /** What {@link #reserve} found. */
    public sealed interface Reservation {
        /** The key is new and now reserved: do the work, then {@link #complete} or {@link #release}. */
        record Proceed() implements Reservation {}

        /** A completed request with the same key and the same request: answer its stored response. */
        record Replay(Stored stored) implements Reservation {}

        /** The same key was used for a different request: answer 422. */
        record Mismatch(Stored stored) implements Reservation {}

        /** The first request with this key is still running: answer 409 (retry later). */
        record InProgress(Stored stored) implements Reservation {}
    }

    private static final String COLUMNS = "tenant_id, key, method, path, request_hash, status, response, created_at";

    private final Database db;

    public IdempotencyKeys(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    public Optional<Stored> find(String tenantId, String key) {
        return db.read(c -> find(c, tenantId, key));
    }

    /**
     * Stores the response of the first request with {@code key}, unless a record already exists;
     * returns whichever record is stored afterwards — compare its hash to tell a different request.
     */
    public Stored save(String tenantId, String key, String method, String path, String requestHash, int status, String responseJson) {
        return db.write(c -> {
            insert(c, tenantId, key, method, path, requestHash, status, responseJson);
            return find(c, tenantId, key).orElseThrow();
        });
    }

    /**
     * Atomically reserves {@code key} for this request, or says why not. Unsynced: a reservation
     * without a result only matters while its request runs, a power loss that drops it ends that
     * request too, and the request's own synced commits (a run's RUNNING, {@link #complete}) sync
     * it with them; so an idempotent run costs the one synced commit of its result, not two.
     */
    public Reservation reserve(String tenantId, String key, String method, String path, String requestHash) {
        return db.writeUnsynced(c -> {
            if (insert(c, tenantId, key, method, path, requestHash, null, null)) {
                return new Reservation.Proceed();
            }
            Stored s = find(c, tenantId, key).orElseThrow();
            if (!s.matches(method, path, requestHash)) {
                return new Reservation.Mismatch(s);
            }
            return s.completed() ? new Reservation.Replay(s) : new Reservation.InProgress(s);
        });
    }

    /** Stores the response of a reserved request. */
    public void complete(String tenantId, String key, int status, String responseJson) {
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE idempotency_keys SET status = ?, response = ? WHERE tenant_id = ? AND key = ?")) {
                ps.setInt(1, status);
                ps.setString(2, responseJson);
                ps.setString(3, tenantId);
                ps.setString(4, key);
                if (ps.executeUpdate() != 1) {
                    throw new IllegalStateException("idempotency key " + key + " was not reserved");
                }
            }
            return null;
        });
    }

    /** Drops a reservation whose request failed without a result worth replaying, so a retry runs again. */
    public void release(String tenantId, String key) {
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND status IS NULL")) {
                ps.setString(1, tenantId);
                ps.setString(2, key);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Forgets keys created before {@code before} (retention, e.g. 24 h); returns how many. */
    public int deleteOlderThan(Instant before) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE created_at < ?")) {
                ps.setString(1, Times.format(before));
                return ps.executeUpdate();
            }
        });
    }

    private static boolean insert(Connection c, String tenantId, String key, String method, String path, String requestHash,
                                  Integer status, String response) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO idempotency_keys(" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tenant_id, key) DO NOTHING")) {
            ps.setString(1, tenantId);
            ps.setString(2, key);
            ps.setString(3, method);
            ps.setString(4, path);
            ps.setString(5, requestHash);
            if (status == null) {
                ps.setNull(6, Types.INTEGER);
            } else {
                ps.setInt(6, status);
            }
            ps.setString(7, response);
            ps.setString(8, Times.format(Instant.now()));
            return ps.executeUpdate() == 1;
        }
    }

    private static Optional<Stored> find(Connection c, String tenantId, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM idempotency_keys WHERE tenant_id = ? AND key = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                int status = rs.getInt(6);
                Integer st = rs.wasNull() ? null : status;
                return Optional.of(new Stored(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), st, rs.getString(7), Times.parse(rs.getString(8))));
            }
        }
    }
}
