package dev.burrow.daemon.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * API keys: {@code bk_} + 32 random bytes in base64url. Only the SHA-256 of a key is stored (a
 * key has 256 bits of entropy, so a fast hash is enough — nothing to brute-force), plus its first
 * 8 characters for display.
 */
public final class ApiKeys {

    /** A key just created: {@code key} is the plaintext, shown once and never stored. */
    public record IssuedKey(ApiKey info, String key) {

        @Override
        public String toString() {
            return "IssuedKey[" + info + ", key=" + info.prefix() + "…]";
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COLUMNS = "id, tenant_id, prefix, admin, created_at, revoked_at";

    private final Database db;

    public ApiKeys(Database db) {
        this.db = Objects.requireNonNull(db);
    }

    /** Creates a key for {@code tenantId} and returns its plaintext (the only time it exists). */
    public String create(String tenantId, boolean admin) {
        return issue(tenantId, admin).key();
    }

    /** {@link #create}, also returning the stored key's id and prefix. */
    public IssuedKey issue(String tenantId, boolean admin) {
        return db.write(c -> insert(c, tenantId, admin));
    }

    static IssuedKey insert(Connection c, String tenantId, boolean admin) throws SQLException {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = "bk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        ApiKey info = new ApiKey(Ids.newId("key"), tenantId, key.substring(0, 8), admin, Instant.now(), null);
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO api_keys(id, tenant_id, hash, prefix, admin, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, info.id());
            ps.setString(2, tenantId);
            ps.setString(3, hash(key));
            ps.setString(4, info.prefix());
            ps.setInt(5, admin ? 1 : 0);
            ps.setString(6, Times.format(info.createdAt()));
            ps.executeUpdate();
        }
        return new IssuedKey(info, key);
    }

    /** Who {@code key} speaks for; empty for an unknown, malformed or revoked key. */
    public Optional<Principal> authenticate(String key) {
        if (key == null || !key.startsWith("bk_") || key.length() > 200) {
            return Optional.empty();
        }
        String hash = hash(key);
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT k.hash, k.tenant_id, t.name, k.admin, k.id
                    FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
                    WHERE k.hash = ? AND k.revoked_at IS NULL""")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    // the index found it; compare in constant time anyway
                    if (!MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII), rs.getString(1).getBytes(StandardCharsets.US_ASCII))) {
                        return Optional.empty();
                    }
                    return Optional.of(new Principal(rs.getString(2), rs.getString(3), rs.getInt(4) != 0, rs.getString(5)));
                }
            }
        });
    }

    /** Revokes a key (idempotent for an already revoked one); false when there is no such key. */
    public boolean revoke(String keyId) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?")) {
                ps.setString(1, Times.format(Instant.now()));
                ps.setString(2, keyId);
                return ps.executeUpdate() == 1;
            }
        });
    }

    public Optional<ApiKey> get(String keyId) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM api_keys WHERE id = ?")) {
                ps.setString(1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(map(rs)) : Optional.empty();
                }
            }
        });
    }

    /** A tenant's keys (revoked ones included), oldest first; {@code tenantId} null = every tenant's. */
    public List<ApiKey> list(String tenantId) {
        return db.read(c -> {
            String sql = "SELECT " + COLUMNS + " FROM api_keys" + (tenantId == null ? "" : " WHERE tenant_id = ?") + " ORDER BY created_at, id";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (tenantId != null) {
                    ps.setString(1, tenantId);
                }
                List<ApiKey> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(map(rs));
                    }
                }
                return out;
            }
        });
    }

    private static ApiKey map(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4) != 0,
                Times.parse(rs.getString(5)), Times.parse(rs.getString(6)));
    }

    static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
