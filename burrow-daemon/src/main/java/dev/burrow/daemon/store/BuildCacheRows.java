package dev.burrow.daemon.store;

import dev.burrow.daemon.images.build.BuildCache;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** The rows of the Dockerfile layer cache ({@code build_cache}, migration V6). */
public final class BuildCacheRows implements BuildCache.Table {

    private static final String COLUMNS = "tenant_id, cache_key, layer, diff_id, size, created_at, last_used_at";

    private final Database db;

    public BuildCacheRows(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    @Override
    public Optional<BuildCache.Entry> find(String tenant, String key) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM build_cache WHERE tenant_id = ? AND cache_key = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new BuildCache.Entry(rs.getString(1), rs.getString(2), digest(rs.getString(3)),
                            digest(rs.getString(4)), rs.getLong(5), Times.parse(rs.getString(6)), Times.parse(rs.getString(7))));
                }
            }
        });
    }

    @Override
    public void put(BuildCache.Entry e) {
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO build_cache(" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, e.tenant());
                ps.setString(2, e.key());
                ps.setString(3, e.layer().toString());
                ps.setString(4, e.diffId().toString());
                ps.setLong(5, e.size());
                ps.setString(6, Times.format(e.createdAt()));
                ps.setString(7, Times.format(e.lastUsedAt()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void touch(String tenant, String key, Instant at) {
        db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE build_cache SET last_used_at = ? WHERE tenant_id = ? AND cache_key = ?")) {
                ps.setString(1, Times.format(at));
                ps.setString(2, tenant);
                ps.setString(3, key);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Set<Digest> layers() {
        return db.read(c -> {
            Set<Digest> out = new HashSet<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT DISTINCT layer FROM build_cache")) {
                while (rs.next()) {
                    out.add(digest(rs.getString(1)));
                }
            }
            return Set.copyOf(out);
        });
    }

    @Override
    public int clear() {
        return db.write(c -> {
            try (Statement st = c.createStatement()) {
                return st.executeUpdate("DELETE FROM build_cache");
            }
        });
    }

    private static Digest digest(String s) throws SQLException {
        try {
            return Digest.parse(s);
        } catch (ImageException e) {
            throw new SQLException("build_cache holds a bad digest: " + e.getMessage(), e);
        }
    }
}
