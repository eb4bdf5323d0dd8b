package dev.burrow.daemon.store;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Upload rows; the files themselves are the caller's. */
public final class Uploads {

    private static final String COLUMNS = "id, tenant_id, path, bytes, sha256, created_at, expires_at";

    private final Database db;

    public Uploads(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    /**
     * Records a finished upload (its file is complete and synced); an id is {@code "up" + ULID}, see
     * {@link Ids}. Throws {@link QuotaExceededException} when it would take the tenant past its uploads quota.
     */
    public void record(Upload u) {
        db.write(c -> {
            TenantQuotas.admitUpload(c, u.tenantId(), u.bytes());
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO uploads(" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, u.id());
                ps.setString(2, u.tenantId());
                ps.setString(3, u.path().toString());
                ps.setLong(4, u.bytes());
                ps.setString(5, u.sha256());
                ps.setString(6, Times.format(u.createdAt()));
                ps.setString(7, Times.format(u.expiresAt()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** {@link #record(Upload)} created now. */
    public Upload record(String id, String tenantId, String path, long bytes, String sha256, Instant expiresAt) {
        Upload u = new Upload(id, tenantId, Path.of(path), bytes, sha256, Instant.now(), expiresAt);
        record(u);
        return u;
    }

    /** The tenant's upload {@code id}, expired or not (the caller decides; {@link #deleteExpired} removes them). */
    public Optional<Upload> get(String tenantId, String id) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM uploads WHERE tenant_id = ? AND id = ?")) {
                ps.setString(1, tenantId);
                ps.setString(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.empty();
                }
            }
        });
    }

    /** Deletes the tenant's upload row; returns its file's path for the caller to delete. */
    public Optional<Path> delete(String tenantId, String id) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM uploads WHERE tenant_id = ? AND id = ? RETURNING path")) {
                ps.setString(1, tenantId);
                ps.setString(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(Path.of(rs.getString(1))) : Optional.empty();
                }
            }
        });
    }

    /** Records that a build was started from the tenant's upload {@code id} (the first time counts); false when there is no such upload. */
    public boolean markUsed(String tenantId, String id, Instant when) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE uploads SET used_at = coalesce(used_at, ?) WHERE tenant_id = ? AND id = ?")) {
                ps.setString(1, Times.format(when));
                ps.setString(2, tenantId);
                ps.setString(3, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** Deletes every upload row of a tenant (it is being deleted); returns their files' paths for the caller to delete. */
    public List<Path> deleteAll(String tenantId) {
        return db.write(c -> {
            List<Path> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM uploads WHERE tenant_id = ? RETURNING path")) {
                ps.setString(1, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(Path.of(rs.getString(1)));
                    }
                }
            }
            return out;
        });
    }

    /** Deletes every upload that expired at or before {@code now}; returns their files' paths for the caller to delete. */
    public List<Path> deleteExpired(Instant now) {
        return db.write(c -> {
            List<Path> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM uploads WHERE expires_at <= ? RETURNING path")) {
                ps.setString(1, Times.format(now));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(Path.of(rs.getString(1)));
                    }
                }
            }
            return out;
        });
    }

    /** The files of every upload row, expired or not (the janitor deletes files no row knows). */
    public List<Path> paths() {
        return db.read(c -> {
            List<Path> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT path FROM uploads"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(Path.of(rs.getString(1)));
                }
            }
            return out;
        });
    }

    private static Upload map(ResultSet rs) throws SQLException {
        return new Upload(rs.getString(1), rs.getString(2), Path.of(rs.getString(3)), rs.getLong(4), rs.getString(5),
                Times.parse(rs.getString(6)), Times.parse(rs.getString(7)));
    }
}
