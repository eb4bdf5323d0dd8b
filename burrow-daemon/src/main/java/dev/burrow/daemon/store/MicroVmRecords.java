package dev.burrow.daemon.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * MicroVM rows. State changes go through {@link #transition}, a compare-and-set on the writer; when
 * built with an {@link EventLog}, every successful transition also appends a
 * {@value #EVENT_KIND} event in the same transaction.
 */
public final class MicroVmRecords {

    public static final String EVENT_KIND = "microvm-state";
    /** A suspended microVM moved between the memory and the disk tier. */
    public static final String TIER_EVENT_KIND = "microvm-tier";
    /** States no microVM leaves; everything else is looked at by reconcile. */
    public static final Set<String> TERMINAL = Set.of("TERMINATED", "FAILED");

    private static final String COLUMNS = "id, tenant_id, image, version, state, state_reason, created_at, updated_at, "
            + "expires_at, labels, env, network, vmm_pid, vmm_start_time, dir, idle_policy, suspended_at, saved_id, "
            + "suspension_tier, suspension_bytes, run_hook_payload";

    private final Database db;
    private final EventLog events;
    private final Clock clock;

    public MicroVmRecords(Database db) {
        this(db, null);
    }

    public MicroVmRecords(Database db, EventLog events) {
        this(db, events, Clock.systemUTC());
    }

    /** {@code clock} stamps updatedAt and suspendedAt (the lifecycle's timers read them with the same clock). */
    public MicroVmRecords(Database db, EventLog events, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.events = events;
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * Inserts a new microVM; throws {@link StoreException} when the id exists. When the inserting
     * thread has a quota hold bound ({@link TenantQuotas#HOLD}), the row takes one unit of it.
     */
    public void insert(MicroVmRecord r) {
        db.write(c -> insert(c, r));
    }

    /**
     * Inserts a new microVM and, with an {@link EventLog}, its first state event, in one
     * transaction; {@code synced} false commits it with {@link Database#writeUnsynced} (durable
     * from the next synced write on: a run's PENDING row, whose VMM a power loss kills anyway).
     */
    public void insert(MicroVmRecord r, String requestId, boolean synced) {
        SqlFunction<Connection, Void> fn = c -> {
            insert(c, r);
            if (events != null) {
                events.append(c, EVENT_KIND, r.id(), null, r.state(), null, requestId, r.tenantId());
            }
            return null;
        };
        if (synced) {
            db.write(fn);
        } else {
            db.writeUnsynced(fn);
        }
    }

    private Void insert(Connection c, MicroVmRecord r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO microvms(" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, r.id());
            ps.setString(2, r.tenantId());
            ps.setString(3, r.image());
            ps.setInt(4, r.version());
            ps.setString(5, r.state());
            ps.setString(6, r.stateReason());
            Instant now = clock.instant();
            ps.setString(7, Times.format(r.createdAt() != null ? r.createdAt() : now));
            ps.setString(8, Times.format(r.updatedAt() != null ? r.updatedAt() : now));
            ps.setString(9, Times.format(r.expiresAt()));
            ps.setString(10, Json.write(r.labels()));
            ps.setString(11, Json.write(r.env()));
            ps.setString(12, r.network());
            setLong(ps, 13, r.vmmPid());
            setLong(ps, 14, r.vmmStartTime());
            ps.setString(15, r.dir());
            ps.setString(16, r.idlePolicy());
            ps.setString(17, Times.format(r.suspendedAt()));
            ps.setString(18, r.savedId());
            ps.setString(19, r.suspensionTier());
            setLong(ps, 20, r.suspensionBytes());
            ps.setString(21, r.runHookPayload());
            ps.executeUpdate();
        }
        TenantQuotas.consumeHold(c, r.id());
        return null;
    }

    /** The tenant's microVM {@code id}; another tenant's id is simply absent. */
    public Optional<MicroVmRecord> get(String tenantId, String id) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM microvms WHERE tenant_id = ? AND id = ?")) {
                ps.setString(1, tenantId);
                ps.setString(2, id);
                return first(ps);
            }
        });
    }

    /** Any tenant's microVM (for the daemon's own bookkeeping, never for API lookups). */
    public Optional<MicroVmRecord> getAny(String id) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM microvms WHERE id = ?")) {
                ps.setString(1, id);
                return first(ps);
            }
        });
    }

    /**
     * {@link #list(String, Collection, Map, int, String)} with the API's query strings: {@code state}
     * one state name or several separated by commas, {@code label} {@code k=v} (null/empty = any).
     */
    public Page<MicroVmRecord> list(String tenantId, String state, String label, int limit, String cursor) {
        List<String> states = state == null || state.isBlank() ? List.of()
                : java.util.Arrays.stream(state.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        Map<String, String> labels = Map.of();
        if (label != null && !label.isBlank()) {
            int eq = label.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("label filter must be k=v; got '" + label + "'");
            }
            labels = Map.of(label.substring(0, eq), label.substring(eq + 1));
        }
        return list(tenantId, states, labels, limit, cursor);
    }

    /** Sets the idle policy JSON (null = never auto-suspend); false when there is no such microVM. */
    public boolean setIdlePolicy(String id, String idlePolicyJson) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE microvms SET idle_policy = ? WHERE id = ?")) {
                ps.setString(1, idlePolicyJson);
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /**
     * One page of a tenant's microVMs in id order. {@code states} empty/null = any; every
     * {@code labels} entry must match; {@code cursor} is the previous page's {@code nextCursor}.
     */
    public Page<MicroVmRecord> list(String tenantId, Collection<String> states, Map<String, String> labels, int limit, String cursor) {
        return list(tenantId, states, labels, null, null, limit, cursor);
    }

    /** As {@link #list(String, Collection, Map, int, String)}, also only microVMs of {@code image} (and {@code version}) when not null. */
    public Page<MicroVmRecord> list(String tenantId, Collection<String> states, Map<String, String> labels, String image, Integer version,
                                    int limit, String cursor) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1; got " + limit);
        }
        String after = decodeCursor(cursor);
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM microvms m WHERE tenant_id = ?");
        List<Object> args = new ArrayList<>();
        args.add(tenantId);
        if (after != null) {
            sql.append(" AND id > ?");
            args.add(after);
        }
        if (states != null && !states.isEmpty()) {
            sql.append(" AND state IN (").append(String.join(", ", java.util.Collections.nCopies(states.size(), "?"))).append(')');
            args.addAll(states);
        }
        if (image != null) {
            sql.append(" AND image = ?");
            args.add(image);
        }
        if (version != null) {
            sql.append(" AND version = ?");
            args.add(version);
        }
        if (labels != null) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                sql.append(" AND EXISTS (SELECT 1 FROM json_each(m.labels) WHERE json_each.key = ? AND json_each.value = ?)");
                args.add(e.getKey());
                args.add(e.getValue());
            }
        }
        sql.append(" ORDER BY id LIMIT ?");
        args.add(limit + 1);
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                List<MicroVmRecord> rows = all(ps);
                if (rows.size() <= limit) {
                    return new Page<>(rows, null);
                }
                List<MicroVmRecord> page = rows.subList(0, limit);
                return new Page<>(page, encodeCursor(page.getLast().id()));
            }
        });
    }

    /** Every microVM (all tenants) not TERMINATED or FAILED, by id: what reconcile looks at after a restart. */
    public List<MicroVmRecord> listNonTerminal() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM microvms WHERE state NOT IN ('TERMINATED', 'FAILED') ORDER BY id")) {
                return all(ps);
            }
        });
    }

    /** {@link #transition(String, String, String, String, String)} without a request id. */
    public boolean transition(String id, String expectedFrom, String to, String reason) {
        return transition(id, expectedFrom, to, reason, null);
    }

    /**
     * Moves microVM {@code id} to {@code to} when its current state is {@code expectedFrom}
     * ({@code null} = whatever it is), setting {@code stateReason} and {@code updatedAt}, and
     * {@code suspendedAt} on entering/leaving SUSPENDED. Committed before it returns. False (and
     * nothing changed) when the state differs or there is no such microVM.
     */
    public boolean transition(String id, String expectedFrom, String to, String reason, String requestId) {
        return transition(id, expectedFrom, to, reason, requestId, Suspension.UNCHANGED);
    }

    /**
     * What a transition does to the saved-state columns: {@link #UNCHANGED}, {@link #CLEARED}
     * (the microVM runs on from its save, or has none), or a new committed save.
     */
    public record Suspension(String savedId, String tier, Long bytes, boolean set) {
        public static final Suspension UNCHANGED = new Suspension(null, null, null, false);
        public static final Suspension CLEARED = new Suspension(null, null, null, true);

        public static Suspension saved(String savedId, String tier, long bytes) {
            return new Suspension(Objects.requireNonNull(savedId), Objects.requireNonNull(tier), bytes, true);
        }
    }

    /**
     * {@link #transition(String, String, String, String, String)} that also sets the saved-state
     * columns in the same transaction: a SUSPENDED state and the save it resumes from are one fact.
     */
    public boolean transition(String id, String expectedFrom, String to, String reason, String requestId, Suspension suspension) {
        Objects.requireNonNull(to, "to");
        return db.write(c -> {
            String from;
            String tenant;
            try (PreparedStatement ps = c.prepareStatement("SELECT state, tenant_id FROM microvms WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    from = rs.getString(1);
                    tenant = rs.getString(2);
                }
            }
            if (expectedFrom != null && !expectedFrom.equals(from)) {
                return false;
            }
            if ("SUSPENDED".equals(from) && "RESUMING".equals(to)) {
                TenantQuotas.admitResume(c, tenant, id); // it holds a VMM again: checked where the move is written
            }
            Instant now = clock.instant();
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE microvms SET state = ?, state_reason = ?, updated_at = ?,
                        suspended_at = CASE WHEN ? = 'SUSPENDED' THEN coalesce(suspended_at, ?)
                                            WHEN ? = 'RUNNING' THEN NULL
                                            ELSE suspended_at END,
                        saved_id = CASE WHEN ? THEN ? ELSE saved_id END,
                        suspension_tier = CASE WHEN ? THEN ? ELSE suspension_tier END,
                        suspension_bytes = CASE WHEN ? THEN ? ELSE suspension_bytes END
                    WHERE id = ? AND state = ?""")) {
                ps.setString(1, to);
                ps.setString(2, reason);
                ps.setString(3, Times.format(now));
                ps.setString(4, to);
                ps.setString(5, Times.format(now));
                ps.setString(6, to);
                ps.setBoolean(7, suspension.set());
                ps.setString(8, suspension.savedId());
                ps.setBoolean(9, suspension.set());
                ps.setString(10, suspension.tier());
                ps.setBoolean(11, suspension.set());
                setLong(ps, 12, suspension.bytes());
                ps.setString(13, id);
                ps.setString(14, from);
                if (ps.executeUpdate() != 1) {
                    return false;
                }
            }
            if (events != null) {
                events.append(c, EVENT_KIND, id, from, to, reason, requestId, tenant);
            }
            return true;
        });
    }

    /**
     * A SUSPENDED microVM's kept VMM is gone: its tier becomes {@code disk}, with a
     * {@value #TIER_EVENT_KIND} event in the same transaction. False when it is not in the memory tier.
     */
    public boolean demote(String id, String reason) {
        return db.write(c -> {
            String tenant;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT tenant_id FROM microvms WHERE id = ? AND state = 'SUSPENDED' AND suspension_tier = 'memory'")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    tenant = rs.getString(1);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE microvms SET suspension_tier = 'disk', updated_at = ? WHERE id = ?")) {
                ps.setString(1, Times.format(clock.instant()));
                ps.setString(2, id);
                ps.executeUpdate();
            }
            if (events != null) {
                events.append(c, TIER_EVENT_KIND, id, "memory", "disk", reason, null, tenant);
            }
            return true;
        });
    }

    /** Records the VMM process of a microVM (both null once it is gone); false when there is no such microVM. */
    public boolean setVmm(String id, Long pid, Long startTime) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE microvms SET vmm_pid = ?, vmm_start_time = ? WHERE id = ?")) {
                setLong(ps, 1, pid);
                setLong(ps, 2, startTime);
                ps.setString(3, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Sets the microVM's directory; false when there is no such microVM. */
    public boolean setDir(String id, String dir) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE microvms SET dir = ? WHERE id = ?")) {
                ps.setString(1, dir);
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Deletes a microVM's row (after it is TERMINATED and its files are gone); false when there is none. */
    public boolean delete(String id) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM microvms WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** How many of the tenant's microVMs of {@code image} (any version when {@code version} is null) are in {@code states}. */
    public int count(String tenantId, String image, Integer version, Collection<String> states) {
        StringBuilder sql = new StringBuilder("SELECT count(*) FROM microvms WHERE tenant_id = ? AND image = ?");
        List<Object> args = new ArrayList<>(List.of(tenantId, image));
        if (version != null) {
            sql.append(" AND version = ?");
            args.add(version);
        }
        if (states != null && !states.isEmpty()) {
            sql.append(" AND state IN (").append(String.join(", ", java.util.Collections.nCopies(states.size(), "?"))).append(')');
            args.addAll(states);
        }
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    static String encodeCursor(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeCursor(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor is not one this server returned: '" + cursor + "'");
        }
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.INTEGER);
        } else {
            ps.setLong(i, v);
        }
    }

    private static Long nullableLong(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    private static Optional<MicroVmRecord> first(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(map(rs)) : Optional.empty();
        }
    }

    private static List<MicroVmRecord> all(PreparedStatement ps) throws SQLException {
        List<MicroVmRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    private static MicroVmRecord map(ResultSet rs) throws SQLException {
        long pid = rs.getLong(13);
        Long vmmPid = rs.wasNull() ? null : pid;
        long start = rs.getLong(14);
        Long vmmStart = rs.wasNull() ? null : start;
        return new MicroVmRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                rs.getString(6), Times.parse(rs.getString(7)), Times.parse(rs.getString(8)), Times.parse(rs.getString(9)),
                Json.read(rs.getString(10), Json.STRING_MAP), Json.read(rs.getString(11), Json.STRING_MAP), rs.getString(12),
                vmmPid, vmmStart, rs.getString(15), rs.getString(16), Times.parse(rs.getString(17)), rs.getString(18),
                rs.getString(19), nullableLong(rs, 20), rs.getString(21));
    }
}
