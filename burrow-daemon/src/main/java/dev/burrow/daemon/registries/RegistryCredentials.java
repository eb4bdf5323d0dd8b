package dev.burrow.daemon.registries;

import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Times;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Each tenant's registry logins, one per host, in the database with the secret sealed by a
 * {@link SecretBox}. Reads for the API give {@link RegistryEntry} (no secret); only a pull asks
 * for the {@link RegistryLogin} itself. A deleted tenant's rows go with it (foreign key).
 */
public final class RegistryCredentials {
    /** Logins one tenant may keep. */
    public static final int MAX_PER_TENANT = 100;

    private final Database db;
    private final SecretBox box;
    private final Clock clock;

    public RegistryCredentials(Database db, SecretBox box, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.box = Objects.requireNonNull(box);
        this.clock = Objects.requireNonNull(clock);
    }

    /** Stores (or replaces) the tenant's login for {@code host}; empty when the tenant has {@link #MAX_PER_TENANT} other hosts already. */
    public Optional<RegistryEntry> put(String tenant, String host, RegistryLogin login) {
        String h = RegistryHost.normalize(host);
        byte[] sealed = box.seal(login.secret(), context(tenant, h, login.kind(), login.username()));
        RegistryEntry entry = new RegistryEntry(h, login.kind(), login.username(), clock.instant());
        boolean stored = db.write(c -> {
            try (PreparedStatement count = c.prepareStatement(
                    "SELECT count(*) FROM registry_credentials WHERE tenant_id = ? AND host <> ?")) {
                count.setString(1, tenant);
                count.setString(2, h);
                try (ResultSet rs = count.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) >= MAX_PER_TENANT) {
                        return false;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO registry_credentials(tenant_id, host, kind, username, secret, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(tenant_id, host) DO UPDATE SET kind = excluded.kind, username = excluded.username,
                        secret = excluded.secret, updated_at = excluded.updated_at""")) {
                ps.setString(1, tenant);
                ps.setString(2, h);
                ps.setString(3, login.kind().json());
                ps.setString(4, login.username());
                ps.setBytes(5, sealed);
                ps.setString(6, Times.format(entry.updatedAt()));
                ps.executeUpdate();
            }
            return true;
        });
        return stored ? Optional.of(entry) : Optional.empty();
    }

    /** The tenant's logins by host, without secrets. */
    public List<RegistryEntry> list(String tenant) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT host, kind, username, updated_at FROM registry_credentials WHERE tenant_id = ? ORDER BY host")) {
                ps.setString(1, tenant);
                List<RegistryEntry> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(entry(rs));
                    }
                }
                return out;
            }
        });
    }

    /** The tenant's login for {@code host}, without its secret. */
    public Optional<RegistryEntry> get(String tenant, String host) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT host, kind, username, updated_at FROM registry_credentials WHERE tenant_id = ? AND host = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, RegistryHost.normalize(host));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
                }
            }
        });
    }

    /** Forgets the tenant's login for {@code host}; false when there was none. */
    public boolean delete(String tenant, String host) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM registry_credentials WHERE tenant_id = ? AND host = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, RegistryHost.normalize(host));
                return ps.executeUpdate() > 0;
            }
        });
    }

    /**
     * The login a pull uses for {@code host}: empty when the tenant has none (the pull is
     * anonymous). Fails when the stored secret cannot be opened (the key file was replaced).
     */
    public Optional<RegistryLogin> login(String tenant, String host) throws IOException {
        String h = RegistryHost.normalize(host);
        record Row(RegistryLogin.Kind kind, String username, byte[] sealed) {}
        Optional<Row> row = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT kind, username, secret FROM registry_credentials WHERE tenant_id = ? AND host = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, h);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Row(RegistryLogin.Kind.of(rs.getString(1)), rs.getString(2), rs.getBytes(3)))
                            : Optional.empty();
                }
            }
        });
        if (row.isEmpty()) {
            return Optional.empty();
        }
        Row r = row.get();
        try {
            String secret = box.open(r.sealed(), context(tenant, h, r.kind(), r.username()));
            return Optional.of(new RegistryLogin(r.kind(), r.username(), secret));
        } catch (GeneralSecurityException e) {
            throw new IOException("the stored login for registry " + h + " cannot be decrypted (the data directory's "
                    + SecretBox.KEY_FILE + " changed?); log in to " + h + " again");
        }
    }

    private static RegistryEntry entry(ResultSet rs) throws SQLException {
        return new RegistryEntry(rs.getString(1), RegistryLogin.Kind.of(rs.getString(2)), rs.getString(3), Times.parse(rs.getString(4)));
    }

    /** The associated data binding a sealed secret to its row. */
    private static String context(String tenant, String host, RegistryLogin.Kind kind, String username) {
        return "burrow-registry-login\n" + tenant + "\n" + host + "\n" + kind.json() + "\n" + (username == null ? "" : username);
    }
}
