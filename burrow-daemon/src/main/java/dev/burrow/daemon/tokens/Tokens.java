package dev.burrow.daemon.tokens;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Times;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Issues and checks tokens. A token is 32 random bytes in base64url without padding (SPEC §3);
 * only its SHA-256 is stored. Time is the injected clock's, so expiry tests take no time.
 */
public final class Tokens {

    /** SPEC §2: ingress token lifetime 60–3600 s, default 900 s. */
    public static final Duration MIN_LIFETIME = Duration.ofSeconds(60);
    public static final Duration MAX_LIFETIME = Duration.ofSeconds(3600);
    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(900);
    /** Live tokens one microVM may have: a client minting tokens in a loop fills no disk. */
    public static final int MAX_LIVE_PER_MICROVM = 1000;

    private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A microVM already has {@link #MAX_LIVE_PER_MICROVM} unexpired tokens. */
    public static final class TooManyTokensException extends RuntimeException {
        public final int limit;
        public final int current;

        TooManyTokensException(int limit, int current) {
            super("this microVM already has " + current + " unexpired tokens (the limit is " + limit
                    + "); reuse one, or let them expire");
            this.limit = limit;
            this.current = current;
        }
    }

    private final Database db;
    private final Clock clock;

    public Tokens(Database db, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.clock = Objects.requireNonNull(clock);
    }

    /** A new token for {@code microVmId}; {@code lifetime} must be within {@link #MIN_LIFETIME}..{@link #MAX_LIFETIME}. */
    public Issued issue(String tenantId, String microVmId, Scope scope, PortSet ports, Duration lifetime) {
        if (lifetime.compareTo(MIN_LIFETIME) < 0 || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("lifetime must be " + MIN_LIFETIME.toSeconds() + ".." + MAX_LIFETIME.toSeconds() + " s; got " + lifetime);
        }
        Instant now = clock.instant();
        Grant grant = new Grant(tenantId, microVmId, scope, ports, now.plus(lifetime).truncatedTo(ChronoUnit.SECONDS));
        return db.write(c -> {
            int live = live(c, microVmId, now);
            if (live >= MAX_LIVE_PER_MICROVM) {
                throw new TooManyTokensException(MAX_LIVE_PER_MICROVM, live);
            }
            return insert(c, grant, now);
        });
    }

    /** The grant of an unexpired, known token; empty for anything else (malformed, unknown, expired, exchanged). */
    public Optional<Grant> verify(String raw) {
        if (raw == null || !SHAPE.matcher(raw).matches()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return db.read(c -> find(c, hash(raw))).filter(g -> now.isBefore(g.expiresAt()));
    }

    /**
     * Trades a token that travelled in a URL for one that will live in a cookie: the URL token
     * stops working at once (a copied link is good for one browser), the new one carries the same
     * grant and expiry. Empty when the URL token is not valid (or was exchanged already).
     */
    public Optional<Issued> exchange(String raw) {
        if (raw == null || !SHAPE.matcher(raw).matches()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        String h = hash(raw);
        return db.write(c -> {
            Optional<Grant> g = find(c, h).filter(x -> now.isBefore(x.expiresAt()));
            if (g.isEmpty()) {
                return Optional.<Issued>empty();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM tokens WHERE hash = ?")) {
                ps.setString(1, h);
                ps.executeUpdate();
            }
            return Optional.of(insert(c, g.get(), now));
        });
    }

    /** Deletes the tokens that expired before {@code now}; returns how many. */
    public int deleteExpired(Instant now) {
        return db.write(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM tokens WHERE expires_at <= ?")) {
                ps.setString(1, Times.format(now));
                return ps.executeUpdate();
            }
        });
    }

    private static int live(Connection c, String microVmId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM tokens WHERE microvm_id = ? AND expires_at > ?")) {
            ps.setString(1, microVmId);
            ps.setString(2, Times.format(now));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Issued insert(Connection c, Grant g, Instant now) throws SQLException {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO tokens(hash, tenant_id, microvm_id, scope, ports, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, hash(token));
            ps.setString(2, g.tenantId());
            ps.setString(3, g.microVmId());
            ps.setString(4, g.scope().json());
            ps.setString(5, JSON.writeValueAsString(g.ports().toJson()));
            ps.setString(6, Times.format(g.expiresAt()));
            ps.setString(7, Times.format(now));
            ps.executeUpdate();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return new Issued(token, g);
    }

    private static Optional<Grant> find(Connection c, String hash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT hash, tenant_id, microvm_id, scope, ports, expires_at FROM tokens WHERE hash = ?")) {
            ps.setString(1, hash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII),
                        rs.getString(1).getBytes(StandardCharsets.US_ASCII))) {
                    return Optional.empty();
                }
                Scope scope = Scope.parse(rs.getString(4)).orElseThrow(() -> new IllegalStateException("unknown token scope in the store"));
                PortSet ports = PortSet.parse(JSON.readValue(rs.getString(5), List.class), "ports", (f, d) -> {
                    throw new IllegalStateException("a stored token's ports do not parse: " + d);
                });
                return Optional.of(new Grant(rs.getString(2), rs.getString(3), scope, ports, Times.parse(rs.getString(6))));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a stored token's ports are not JSON", e);
            }
        }
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
