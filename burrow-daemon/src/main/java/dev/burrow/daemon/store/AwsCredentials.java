package dev.burrow.daemon.store;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AWS credentials of API keys (V8): an access key id ({@code AKIA} + 16 of {@code [A-Z2-7]}) and a
 * 40-character secret, issued with the API key in one transaction and shown once. The secret is
 * sealed by a {@link Sealer} (the data directory's SecretBox: AES-GCM under {@link #KEY_FILE}, associated data = the access
 * key id): unlike the bearer key it cannot be hashed, because SigV4 verification recomputes an
 * HMAC keyed by the secret itself. It is opened for each signed request (one AES-GCM decryption
 * of 40 bytes, a few µs next to the indexed lookup), so no decrypted secret stays in memory and a
 * revocation takes effect on the next request.
 */
public final class AwsCredentials {

    /** The key file of the data directory the secrets are sealed under. */
    public static final String KEY_FILE = "aws.key";
    /** An access key id as Burrow issues them. */
    public static final Pattern ACCESS_KEY_ID = Pattern.compile("AKIA[A-Z2-7]{16}");
    static final int SECRET_BYTES = 30; // 40 base64 characters

    private static final Logger LOG = LoggerFactory.getLogger(AwsCredentials.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    /** An API key issued with AWS credentials: the secret exists only here, once. */
    public record Issued(ApiKeys.IssuedKey key, String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "Issued[" + key + ", " + accessKeyId + "]";
        }
    }

    /** A live credential: its secret (never logged: {@link #toString} leaves it out) and its API key's principal. */
    public record Credential(String accessKeyId, String secretAccessKey, Principal principal) {
        @Override
        public String toString() {
            return "Credential[" + accessKeyId + ", " + principal + "]";
        }
    }

    private final Database db;
    private final Sealer box;

    public AwsCredentials(Database db, Sealer box) {
        this.db = Objects.requireNonNull(db);
        this.box = Objects.requireNonNull(box);
    }

    /** Creates an API key for {@code tenantId} and its AWS credentials, in one transaction. */
    public Issued issue(String tenantId, boolean admin) {
        String accessKeyId = newAccessKeyId();
        byte[] raw = new byte[SECRET_BYTES];
        RANDOM.nextBytes(raw);
        // base64 with '+' and '/' as AWS secrets have them; 30 bytes make 40 characters, no padding
        String secret = Base64.getEncoder().encodeToString(raw);
        byte[] sealed = box.seal(secret, context(accessKeyId));
        return db.write(c -> {
            ApiKeys.IssuedKey key = ApiKeys.insert(c, tenantId, admin);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO aws_credentials(access_key_id, key_id, secret, created_at) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, accessKeyId);
                ps.setString(2, key.info().id());
                ps.setBytes(3, sealed);
                ps.setString(4, Times.format(key.info().createdAt()));
                ps.executeUpdate();
            }
            return new Issued(key, accessKeyId, secret);
        });
    }

    /** The access key ids of API keys, by API key id (keys without AWS credentials are absent). */
    public Map<String, String> accessKeyIds(List<String> keyIds) {
        if (keyIds.isEmpty()) {
            return Map.of();
        }
        return db.read(c -> {
            Map<String, String> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT key_id, access_key_id FROM aws_credentials WHERE key_id = ?")) {
                for (String id : keyIds) {
                    ps.setString(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            out.put(rs.getString(1), rs.getString(2));
                        }
                    }
                }
            }
            return out;
        });
    }

    /**
     * The live credentials of {@code accessKeyId}: empty when unknown, when its API key is revoked,
     * or when the secret cannot be opened (the key file was replaced: logged, answered as unknown).
     */
    public Optional<Credential> find(String accessKeyId) {
        if (accessKeyId == null || !ACCESS_KEY_ID.matcher(accessKeyId).matches()) {
            return Optional.empty();
        }
        record Row(byte[] sealed, Principal principal) {}
        Optional<Row> row = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT a.secret, k.tenant_id, t.name, k.admin, k.id
                    FROM aws_credentials a JOIN api_keys k ON k.id = a.key_id JOIN tenants t ON t.id = k.tenant_id
                    WHERE a.access_key_id = ? AND k.revoked_at IS NULL""")) {
                ps.setString(1, accessKeyId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new Row(rs.getBytes(1), new Principal(rs.getString(2), rs.getString(3), rs.getInt(4) != 0, rs.getString(5))))
                            : Optional.empty();
                }
            }
        });
        if (row.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Credential(accessKeyId, box.open(row.get().sealed(), context(accessKeyId)), row.get().principal()));
        } catch (GeneralSecurityException e) {
            LOG.warn("the AWS secret of access key {} cannot be decrypted (the data directory's {} changed?); "
                    + "its requests are refused until a new key is created", accessKeyId, KEY_FILE);
            return Optional.empty();
        }
    }

    static String newAccessKeyId() {
        StringBuilder id = new StringBuilder("AKIA");
        for (int i = 0; i < 16; i++) {
            id.append(BASE32[RANDOM.nextInt(BASE32.length)]);
        }
        return id.toString();
    }

    /** The associated data binding a sealed secret to its access key id. */
    private static String context(String accessKeyId) {
        return "burrow-aws-secret\n" + accessKeyId;
    }
}
