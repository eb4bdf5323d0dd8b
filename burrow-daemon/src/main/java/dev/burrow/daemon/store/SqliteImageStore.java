package dev.burrow.daemon.store;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.EntrypointStatus;
import dev.burrow.daemon.images.ImageStore;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * The {@link ImageStore} of one tenant, in SQLite. Every call sees and touches only that tenant's
 * images; {@link #publicVersion} and {@link #publicVersions} look across tenants at public ones.
 */
public final class SqliteImageStore implements ImageStore {

    /** An image's own row: {@code GET /v1/images/{name}} needs {@code public} and {@code createdAt}. */
    public record ImageInfo(String tenantId, String name, boolean isPublic, Instant createdAt) {}

    private static final String COLUMNS = "v.image, v.version, v.state, v.state_reason, v.active, v.settings, v.source, "
            + "v.created_at, v.updated_at, v.entrypoint, v.phases, v.template_dir, v.build_log";

    private final Database db;
    private final String tenantId;

    public SqliteImageStore(Database db, String tenantId) {
        this.db = Objects.requireNonNull(db);
        this.tenantId = Objects.requireNonNull(tenantId);
    }

    public String tenantId() {
        return tenantId;
    }

    @Override
    public boolean createImage(ImageVersion first) {
        if (first.version() != 1) {
            throw new IllegalStateException("the first version of " + first.image() + " must be 1, got " + first.version());
        }
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO images(tenant_id, name, public, created_at) VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING")) {
                ps.setString(1, tenantId);
                ps.setString(2, first.image());
                ps.setString(3, Times.format(first.createdAt() != null ? first.createdAt() : Instant.now()));
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            insertVersion(c, first);
            return true;
        });
    }

    @Override
    public void addVersion(ImageVersion next) {
        db.write(c -> {
            int newest = newest(c, next.image());
            if (next.version() != newest + 1) {
                throw new IllegalStateException("version " + next.ref() + " is not the next version (newest is " + newest + ")");
            }
            insertVersion(c, next);
            return null;
        });
    }

    /**
     * Stores a new version numbered newest + 1, the number chosen inside the write transaction so
     * concurrent callers never collide. {@code make} builds the version for the number it is given.
     */
    public ImageVersion addNextVersion(String image, IntFunction<ImageVersion> make) {
        return db.write(c -> {
            int newest = newest(c, image);
            ImageVersion v = make.apply(newest + 1);
            if (!v.image().equals(image) || v.version() != newest + 1) {
                throw new IllegalStateException("addNextVersion: made " + v.ref() + ", expected " + image + ":" + (newest + 1));
            }
            insertVersion(c, v);
            return v;
        });
    }

    /** Newest version number of {@code image}; throws when this tenant has no such image. */
    private int newest(Connection c, String image) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT (SELECT coalesce(max(version), 0) FROM image_versions v WHERE v.tenant_id = i.tenant_id AND v.image = i.name) "
                        + "FROM images i WHERE i.tenant_id = ? AND i.name = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, image);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no image named " + image);
                }
                return rs.getInt(1);
            }
        }
    }

    /** Inserts a version; a PENDING or BUILDING one must fit the tenant's builds quota ({@link QuotaExceededException}). */
    private void insertVersion(Connection c, ImageVersion v) throws SQLException {
        if (v.state() == VersionState.PENDING || v.state() == VersionState.BUILDING) {
            TenantQuotas.admitBuild(c, tenantId);
        }
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO image_versions(tenant_id, image, version, state, state_reason, active, settings, source,
                    created_at, updated_at, entrypoint, phases, template_dir, build_log)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setString(1, tenantId);
            ps.setString(2, v.image());
            ps.setInt(3, v.version());
            bindVersion(ps, 4, v);
            ps.executeUpdate();
        }
    }

    /** Binds state … build_log (11 parameters) from {@code i}. */
    private static void bindVersion(PreparedStatement ps, int i, ImageVersion v) throws SQLException {
        Instant now = Instant.now();
        ps.setString(i, v.state().name());
        ps.setString(i + 1, v.stateReason());
        ps.setInt(i + 2, v.active() ? 1 : 0);
        ps.setString(i + 3, Json.write(v.settings()));
        ps.setString(i + 4, v.source());
        ps.setString(i + 5, Times.format(v.createdAt() != null ? v.createdAt() : now));
        ps.setString(i + 6, Times.format(v.updatedAt() != null ? v.updatedAt() : now));
        ps.setString(i + 7, Json.write(v.entrypoint()));
        ps.setString(i + 8, Json.write(v.phasesMillis()));
        ps.setString(i + 9, v.templateDir() == null ? null : v.templateDir().toString());
        ps.setString(i + 10, v.buildLog() == null ? null : v.buildLog().toString());
    }

    @Override
    public void update(ImageVersion v) {
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE image_versions SET state = ?, state_reason = ?, active = ?, settings = ?, source = ?,
                        created_at = ?, updated_at = ?, entrypoint = ?, phases = ?, template_dir = ?, build_log = ?
                    WHERE tenant_id = ? AND image = ? AND version = ?""")) {
                bindVersion(ps, 1, v);
                ps.setString(12, tenantId);
                ps.setString(13, v.image());
                ps.setInt(14, v.version());
                if (ps.executeUpdate() == 0) {
                    throw new IllegalStateException("no version " + v.ref());
                }
            }
            return null;
        });
    }

    @Override
    public Optional<ImageVersion> version(String image, int version) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM image_versions v WHERE v.tenant_id = ? AND v.image = ? AND v.version = ?")) {
                ps.setString(1, tenantId);
                ps.setString(2, image);
                ps.setInt(3, version);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<ImageVersion> versions(String image) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM image_versions v WHERE v.tenant_id = ? AND v.image = ? ORDER BY v.version")) {
                ps.setString(1, tenantId);
                ps.setString(2, image);
                return mapAll(ps);
            }
        });
    }

    @Override
    public List<String> images() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM images WHERE tenant_id = ? ORDER BY name")) {
                ps.setString(1, tenantId);
                List<String> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
                return out;
            }
        });
    }

    public Optional<ImageInfo> image(String name) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT tenant_id, name, public, created_at FROM images WHERE tenant_id = ? AND name = ?")) {
                ps.setString(1, tenantId);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new ImageInfo(rs.getString(1), rs.getString(2), rs.getInt(3) != 0, Times.parse(rs.getString(4))))
                            : Optional.empty();
                }
            }
        });
    }

    /** Marks this tenant's image public (runnable by every tenant) or private; false when there is no such image. */
    @Override
    public boolean isPublic(String name) {
        return image(name).map(ImageInfo::isPublic).orElse(false);
    }

    @Override
    public boolean setPublic(String name, boolean isPublic) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE images SET public = ? WHERE tenant_id = ? AND name = ?")) {
                ps.setInt(1, isPublic ? 1 : 0);
                ps.setString(2, tenantId);
                ps.setString(3, name);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Deletes the image and all its versions' rows (not their files); false when there is no such image. */
    @Override
    public boolean deleteImage(String name) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM images WHERE tenant_id = ? AND name = ?")) {
                ps.setString(1, tenantId);
                ps.setString(2, name);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Deletes one version's row; false when there is none. */
    @Override
    public boolean deleteVersion(String name, int version) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM image_versions WHERE tenant_id = ? AND image = ? AND version = ?")) {
                ps.setString(1, tenantId);
                ps.setString(2, name);
                ps.setInt(3, version);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /**
     * A version of a public image of any tenant. Names are unique per tenant only: when several
     * tenants publish the same name, the one published first (oldest image, then tenant id) wins.
     */
    public Optional<ImageVersion> publicVersion(String name, int version) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM image_versions v WHERE v.tenant_id = ("
                    + PUBLIC_OWNER + ") AND v.image = ? AND v.version = ?")) {
                ps.setString(1, name);
                ps.setString(2, name);
                ps.setInt(3, version);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.empty();
                }
            }
        });
    }

    /** All versions of the public image {@code name} (see {@link #publicVersion} for name clashes), oldest first. */
    public List<ImageVersion> publicVersions(String name) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM image_versions v WHERE v.tenant_id = ("
                    + PUBLIC_OWNER + ") AND v.image = ? ORDER BY v.version")) {
                ps.setString(1, name);
                ps.setString(2, name);
                return mapAll(ps);
            }
        });
    }

    /** Public images of every tenant, by name. */
    public List<ImageInfo> publicImages() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT tenant_id, name, public, created_at FROM images WHERE public = 1 ORDER BY name, created_at, tenant_id")) {
                List<ImageInfo> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new ImageInfo(rs.getString(1), rs.getString(2), true, Times.parse(rs.getString(4))));
                    }
                }
                return out;
            }
        });
    }

    private static final String PUBLIC_OWNER =
            "SELECT i.tenant_id FROM images i WHERE i.public = 1 AND i.name = ? ORDER BY i.created_at, i.tenant_id LIMIT 1";

    private static List<ImageVersion> mapAll(PreparedStatement ps) throws SQLException {
        List<ImageVersion> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    private static ImageVersion map(ResultSet rs) throws SQLException {
        Map<String, Long> phases = Json.read(rs.getString(11), Json.LONG_MAP);
        String template = rs.getString(12);
        String log = rs.getString(13);
        return new ImageVersion(
                rs.getString(1),
                rs.getInt(2),
                VersionState.valueOf(rs.getString(3)),
                rs.getString(4),
                rs.getInt(5) != 0,
                Json.read(rs.getString(6), BuildSettings.class),
                rs.getString(7),
                Times.parse(rs.getString(8)),
                Times.parse(rs.getString(9)),
                Json.read(rs.getString(10), EntrypointStatus.class),
                phases == null ? null : Map.copyOf(phases),
                template == null ? null : Path.of(template),
                log == null ? null : Path.of(log));
    }
}
