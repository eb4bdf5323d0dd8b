package dev.burrow.daemon.store;

import dev.burrow.daemon.images.Resources;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Quota checks (issue 10). Every check that admits something runs inside the write transaction
 * that records it, so two calls at a quota's edge cannot both pass (writes are serialised):
 *
 * <ul>
 *   <li>a run or fork takes a <em>hold</em> ({@link #reserve}) before its VMM starts — the VMM gets
 *       its id only then, and a refusal must come before a VMM exists; the microVM's row consumes
 *       one unit of the hold in its insert's transaction ({@link #HOLD} names it on that thread),
 *       so a microVM is counted exactly once, as a hold or as a row;</li>
 *   <li>a resume is checked in the transaction that moves SUSPENDED to RESUMING;</li>
 *   <li>a build in the transaction that inserts its PENDING version, an upload in the one that
 *       records it.</li>
 * </ul>
 */
public final class TenantQuotas {

    /** SPEC §2 defaults: what a row admitted before migration V4 (no resources of its own) counts as. */
    public static final int DEFAULT_VCPUS = Resources.DEFAULT.vcpus();
    public static final int DEFAULT_MEMORY_MIB = Resources.DEFAULT.memoryMiB();
    public static final long MIB = 1L << 20;
    /** States whose microVM holds a VMM (vCPUs and memory): a SUSPENDED one, in either tier, does not (docs/tenants.md). */
    static final List<String> VMM_STATES = List.of("PENDING", "RUNNING", "RESUMING", "SUSPENDING", "TERMINATING");
    static final List<String> BUILDING_STATES = List.of("PENDING", "BUILDING");

    /** The hold that a microVM row inserted on this thread consumes (bound by whoever reserved it around the run or fork). */
    public static final ScopedValue<String> HOLD = ScopedValue.newInstance();

    private final Database db;

    public TenantQuotas(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    /** At start: holds belong to requests of a process that is gone. */
    public void clearHolds() {
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM quota_holds")) {
                return ps.executeUpdate();
            }
        });
    }

    public Usage usage(String tenantId) {
        return db.read(c -> usage(c, tenantId, Instant.now()));
    }

    /**
     * Admits {@code count} microVMs of {@code vcpus} and {@code memoryMiB} each for {@code tenantId}
     * and holds them until their rows exist; returns the hold's id (bind it to {@link #HOLD}
     * around the run, {@link #release} it afterwards). Throws {@link QuotaExceededException}.
     * A hold is committed unsynced: it lives as long as its request, and the next start clears
     * whatever a crash left ({@link #clearHolds}), so no power loss can make one wrong.
     */
    public String reserve(String tenantId, int count, int vcpus, int memoryMiB) {
        return db.writeUnsynced(c -> {
            Quotas q = quotas(c, tenantId);
            Usage u = usage(c, tenantId, Instant.now());
            String what = count == 1 ? "this microVM" : "these " + count + " microVMs";
            check("microvms", q.microvms(), u.microvms(), count, "microVMs", what);
            check("vcpus", q.vcpus(), u.vcpus(), (long) count * vcpus, "vCPUs", what);
            check("memoryMiB", q.memoryMiB(), u.memoryMiB(), (long) count * memoryMiB, "MiB of memory", what);
            String id = Ids.newId("qh");
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO quota_holds(id, tenant_id, vcpus, memory_mib, remaining, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, tenantId);
                ps.setInt(3, vcpus);
                ps.setInt(4, memoryMiB);
                ps.setInt(5, count);
                ps.setString(6, Times.format(Instant.now()));
                ps.executeUpdate();
            }
            return id;
        });
    }

    /** Drops what is left of a hold (the run ended, recorded or not); unsynced, as {@link #reserve}. */
    public void release(String holdId) {
        db.writeUnsynced(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM quota_holds WHERE id = ?")) {
                ps.setString(1, holdId);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * A suspend's check, before the save is written (its size is known only after): refused when
     * the tenant's saves already hold its quota or this microVM's memory would take it past.
     */
    public void checkSuspend(String tenantId, String microVmId) {
        db.read(c -> {
            Quotas q = quotas(c, tenantId);
            if (q.suspendedMiB() == null) {
                return null;
            }
            int[] r = resources(c, microVmId);
            check("suspendedMiB", q.suspendedMiB(), usage(c, tenantId, Instant.now()).suspendedMiB(), r[1],
                    "MiB of suspended saves", "suspending this microVM (about its memory size)");
            return null;
        });
    }

    /**
     * How many more upload bytes the tenant may store now (Long.MAX_VALUE without a quota): the
     * upload route refuses a larger Content-Length before reading and cuts a body that grows past
     * it; {@link #admitUpload} decides for good when the upload is recorded.
     */
    public long uploadRoom(String tenantId) {
        return db.read(c -> {
            Quotas q = quotas(c, tenantId);
            return q.uploadsMiB() == null ? Long.MAX_VALUE : Math.max(0, q.uploadsMiB() * MIB - uploadBytes(c, tenantId, Instant.now()));
        });
    }

    /** The 429 for an upload of {@code bytes} that does not fit ({@link #uploadRoom} said so). */
    public QuotaExceededException uploadRefused(String tenantId, long bytes) {
        return db.read(c -> {
            Quotas q = quotas(c, tenantId);
            long used = uploadBytes(c, tenantId, Instant.now());
            return exceeded("uploadsMiB", q.uploadsMiB() == null ? 0 : q.uploadsMiB(), mib(used), mib(bytes),
                    "MiB of stored uploads", "this upload");
        });
    }

    // ---- inside other writes -----------------------------------------------------------------

    /** The row {@code microVmId} was just inserted: it takes one unit of the hold bound to {@link #HOLD}, and the hold's resources. */
    static void consumeHold(Connection c, String microVmId) throws SQLException {
        if (!HOLD.isBound()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE microvms SET vcpus = (SELECT vcpus FROM quota_holds WHERE id = ?),
                                    memory_mib = (SELECT memory_mib FROM quota_holds WHERE id = ?)
                WHERE id = ? AND EXISTS (SELECT 1 FROM quota_holds WHERE id = ? AND remaining > 0)""")) {
            ps.setString(1, HOLD.get());
            ps.setString(2, HOLD.get());
            ps.setString(3, microVmId);
            ps.setString(4, HOLD.get());
            if (ps.executeUpdate() == 0) {
                return;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE quota_holds SET remaining = remaining - 1 WHERE id = ?")) {
            ps.setString(1, HOLD.get());
            ps.executeUpdate();
        }
    }

    /** A SUSPENDED microVM is about to hold a VMM again: its vCPUs and memory must fit. */
    static void admitResume(Connection c, String tenantId, String microVmId) throws SQLException {
        Quotas q = quotas(c, tenantId);
        if (q.vcpus() == null && q.memoryMiB() == null) {
            return;
        }
        int[] r = resources(c, microVmId);
        Usage u = usage(c, tenantId, Instant.now());
        check("vcpus", q.vcpus(), u.vcpus(), r[0], "vCPUs", "resuming " + microVmId);
        check("memoryMiB", q.memoryMiB(), u.memoryMiB(), r[1], "MiB of memory", "resuming " + microVmId);
    }

    /** A new version is about to be PENDING: one more build at once must fit. */
    static void admitBuild(Connection c, String tenantId) throws SQLException {
        Quotas q = quotas(c, tenantId);
        if (q.builds() != null) {
            check("builds", q.builds(), builds(c, tenantId), 1, "builds running", "this build");
        }
    }

    /** An upload of {@code bytes} is about to be recorded: the tenant's stored uploads must stay within its quota. */
    static void admitUpload(Connection c, String tenantId, long bytes) throws SQLException {
        Quotas q = quotas(c, tenantId);
        if (q.uploadsMiB() == null) {
            return;
        }
        long used = uploadBytes(c, tenantId, Instant.now());
        if (used + bytes > q.uploadsMiB() * MIB) {
            throw exceeded("uploadsMiB", q.uploadsMiB(), mib(used), mib(bytes), "MiB of stored uploads", "this upload");
        }
    }

    // ---- reading -----------------------------------------------------------------------------

    static Quotas quotas(Connection c, String tenantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT quotas FROM tenants WHERE id = ?")) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                Quotas q = rs.next() ? Json.read(rs.getString(1), Quotas.class) : null;
                return q == null ? Quotas.UNLIMITED : q;
            }
        }
    }

    static Usage usage(Connection c, String tenantId, Instant now) throws SQLException {
        String vmm = String.join(", ", VMM_STATES.stream().map(s -> "'" + s + "'").toList());
        long microvms;
        long vcpus;
        long memory;
        long suspendedBytes;
        try (PreparedStatement ps = c.prepareStatement("SELECT "
                + "(SELECT count(*) FROM microvms WHERE tenant_id = ?1 AND state NOT IN ('TERMINATED', 'FAILED')), "
                + "(SELECT coalesce(sum(coalesce(vcpus, " + DEFAULT_VCPUS + ")), 0) FROM microvms WHERE tenant_id = ?1 AND state IN (" + vmm + ")), "
                + "(SELECT coalesce(sum(coalesce(memory_mib, " + DEFAULT_MEMORY_MIB + ")), 0) FROM microvms WHERE tenant_id = ?1 AND state IN (" + vmm + ")), "
                + "(SELECT coalesce(sum(suspension_bytes), 0) FROM microvms WHERE tenant_id = ?1 AND state = 'SUSPENDED'), "
                + "(SELECT coalesce(sum(remaining), 0) FROM quota_holds WHERE tenant_id = ?1), "
                + "(SELECT coalesce(sum(remaining * vcpus), 0) FROM quota_holds WHERE tenant_id = ?1), "
                + "(SELECT coalesce(sum(remaining * memory_mib), 0) FROM quota_holds WHERE tenant_id = ?1)")) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                microvms = rs.getLong(1) + rs.getLong(5);
                vcpus = rs.getLong(2) + rs.getLong(6);
                memory = rs.getLong(3) + rs.getLong(7);
                suspendedBytes = rs.getLong(4);
            }
        }
        return new Usage(microvms, vcpus, memory, mib(suspendedBytes), mib(uploadBytes(c, tenantId, now)), builds(c, tenantId));
    }

    private static long uploadBytes(Connection c, String tenantId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(bytes), 0) FROM uploads WHERE tenant_id = ? AND expires_at > ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, Times.format(now));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long builds(Connection c, String tenantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM image_versions WHERE tenant_id = ? AND state IN ('PENDING', 'BUILDING')")) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** {vcpus, memoryMiB} a microVM row was admitted with (the defaults for a row from before V4). */
    private static int[] resources(Connection c, String microVmId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(vcpus, ?), coalesce(memory_mib, ?) FROM microvms WHERE id = ?")) {
            ps.setInt(1, DEFAULT_VCPUS);
            ps.setInt(2, DEFAULT_MEMORY_MIB);
            ps.setString(3, microVmId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new int[] {rs.getInt(1), rs.getInt(2)} : new int[] {DEFAULT_VCPUS, DEFAULT_MEMORY_MIB};
            }
        }
    }

    static long mib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }

    private static void check(String quota, Integer limit, long current, long requested, String unit, String what) {
        if (limit != null && current + requested > limit) {
            throw exceeded(quota, limit, current, requested, unit, what);
        }
    }

    private static QuotaExceededException exceeded(String quota, long limit, long current, long requested, String unit, String what) {
        return new QuotaExceededException(quota, limit, current, requested, "quota " + quota + ": the tenant uses " + current
                + " of its " + limit + " " + unit + " and " + what + " needs " + requested + " more; "
                + remedy(quota) + ", or ask an admin to raise the quota (PATCH /v1/admin/tenants/{name})");
    }

    private static String remedy(String quota) {
        return switch (quota) {
            case "microvms" -> "terminate microVMs you no longer need (DELETE /v1/microvms/{id})";
            case "vcpus", "memoryMiB" -> "suspend or terminate running microVMs";
            case "suspendedMiB" -> "terminate suspended microVMs you no longer need";
            case "uploadsMiB" -> "build images from your uploads (or wait for unused ones to expire)";
            case "builds" -> "wait for your running builds to finish";
            default -> "free some";
        };
    }
}
