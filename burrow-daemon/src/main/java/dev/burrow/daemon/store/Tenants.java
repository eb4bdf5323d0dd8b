package dev.burrow.daemon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Tenants (SPEC §3: a key belongs to one tenant; a tenant sees only its own resources). */
public final class Tenants {

    public static final String ADMIN = "admin";

    private final Database db;

    public Tenants(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    /** Creates a tenant; empty when the name is taken. */
    public Optional<Tenant> create(String name, Quotas quotas) {
        return db.write(c -> insert(c, name, quotas));
    }

    static Optional<Tenant> insert(Connection c, String name, Quotas quotas) throws SQLException {
        Tenant t = new Tenant(Ids.newId("tn"), name, Instant.now(), quotas == null ? Quotas.UNLIMITED : quotas);
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO tenants(id, name, created_at, quotas) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING")) {
            ps.setString(1, t.id());
            ps.setString(2, t.name());
            ps.setString(3, Times.format(t.createdAt()));
            ps.setString(4, Json.write(t.quotas()));
            return ps.executeUpdate() == 1 ? Optional.of(t) : Optional.empty();
        }
    }

    public Optional<Tenant> get(String id) {
        return one("SELECT id, name, created_at, quotas FROM tenants WHERE id = ?", id);
    }

    public Optional<Tenant> byName(String name) {
        return one("SELECT id, name, created_at, quotas FROM tenants WHERE name = ?", name);
    }

    /** All tenants, by name. */
    public List<Tenant> list() {
        return db.read(c -> {
            List<Tenant> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, created_at, quotas FROM tenants ORDER BY name");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(map(rs));
                }
            }
            return out;
        });
    }

    /** Replaces a tenant's quotas; false when there is no such tenant. */
    public boolean setQuotas(String id, Quotas quotas) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE tenants SET quotas = ? WHERE id = ?")) {
                ps.setString(1, Json.write(quotas == null ? Quotas.UNLIMITED : quotas));
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /**
     * Deletes a tenant with its keys, images, microVM rows and uploads (cascade); the caller has
     * stopped its microVMs and removed its files first. False when there is no such tenant.
     */
    public boolean delete(String id) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM tenants WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /**
     * On first start: creates tenant {@value #ADMIN} and an admin key, returning the key — the only
     * time it exists in plaintext. Empty on every later call (the tenant exists).
     */
    public Optional<String> ensureAdmin() {
        return db.write(c -> {
            Optional<Tenant> admin = insert(c, ADMIN, Quotas.UNLIMITED);
            if (admin.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(ApiKeys.insert(c, admin.get().id(), true).key());
        });
    }

    private Optional<Tenant> one(String sql, String arg) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, arg);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.empty();
                }
            }
        });
    }

    private static Tenant map(ResultSet rs) throws SQLException {
        Quotas q = Json.read(rs.getString(4), Quotas.class);
        return new Tenant(rs.getString(1), rs.getString(2), Times.parse(rs.getString(3)), q == null ? Quotas.UNLIMITED : q);
    }
}
