package dev.burrow.oci.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.oci.internal.Json;
import dev.burrow.oci.registry.Credentials;
import dev.burrow.oci.registry.RegistryException;
import dev.burrow.oci.registry.RegistryException.Reason;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers a registry's {@code 401}: a {@code Bearer} challenge is met with a token from its realm
 * (asked with Basic when the credentials are basic; a {@code token} credential is the bearer
 * itself), a {@code Basic} challenge with the user and password. The resulting header is cached
 * per (host, scope, credentials) — a bearer until its {@code expires_in} — so one pull asks once.
 */
final class Authenticator {
    /** The most bytes of a token server's answer read. */
    static final int MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
    /** A token without {@code expires_in} lives this long (the token spec's default). */
    static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
    /** A token is used no closer to its expiry than this. */
    static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);
    /** How long a header built from static credentials (basic, a given token) is reused. */
    static final Duration STATIC_CREDENTIAL_LIFETIME = Duration.ofHours(1);
    /** Cached headers; more are dropped (all of them: they are re-fetched on the next 401). */
    static final int MAX_CACHED = 256;

    private record Key(String host, String scope, Credentials credentials) {
    }

    private record Entry(String header, long expiresAtNanos) {
    }

    private final Transport transport;
    private final Map<Key, Entry> cache = new LinkedHashMap<>();

    Authenticator(Transport transport) {
        this.transport = transport;
    }

    synchronized String cached(Target t) {
        Key k = key(t);
        Entry e = cache.get(k);
        if (e == null) {
            return null;
        }
        if (System.nanoTime() - e.expiresAtNanos() >= 0) {
            cache.remove(k);
            return null;
        }
        return e.header();
    }

    synchronized void forget(Target t) {
        cache.remove(key(t));
    }

    private synchronized void remember(Target t, String header, Duration lifetime) {
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(key(t), new Entry(header, System.nanoTime() + lifetime.toNanos()));
    }

    private static Key key(Target t) {
        return new Key(t.host(), t.pullScope(), t.credentials());
    }

    /** The {@code Authorization} value that answers {@code header}'s challenge for {@code target}. */
    String authenticate(Target target, String header, String what) throws IOException {
        List<Challenge> challenges = Challenge.parse(header);
        Challenge bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst().orElse(null);
        Challenge basic = challenges.stream().filter(c -> c.scheme().equals("basic")).findFirst().orElse(null);
        Credentials creds = target.credentials();
        if (bearer != null) {
            if (creds instanceof Credentials.Token t) {
                String h = "Bearer " + t.bearer();
                remember(target, h, STATIC_CREDENTIAL_LIFETIME);
                return h;
            }
            return fetchToken(target, bearer, what);
        }
        if (basic != null) {
            if (creds instanceof Credentials.Basic b) {
                String h = basicHeader(b);
                remember(target, h, STATIC_CREDENTIAL_LIFETIME);
                return h;
            }
            throw new RegistryException(Reason.UNAUTHORIZED, target.host() + " requires a user name and password for "
                    + what + " in " + target.name() + " (burrow registry login " + target.host() + ")");
        }
        throw new RegistryException(Reason.PROTOCOL, target.host() + " asked for authentication for " + what + " in "
                + target.name() + " without a Bearer or Basic challenge");
    }

    private String fetchToken(Target target, Challenge bearer, String what) throws IOException {
        String realm = bearer.param("realm");
        URI realmUri;
        try {
            realmUri = realm == null ? null : new URI(realm);
        } catch (URISyntaxException e) {
            realmUri = null;
        }
        if (realmUri == null || !realmUri.isAbsolute() || realmUri.getHost() == null) {
            throw new RegistryException(Reason.PROTOCOL, target.host() + " sent a Bearer challenge without a valid realm ("
                    + what + " in " + target.name() + ")");
        }
        StringBuilder q = new StringBuilder();
        String service = bearer.param("service");
        if (service != null) {
            q.append("service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8)).append('&');
        }
        q.append("scope=").append(URLEncoder.encode(target.pullScope(), StandardCharsets.UTF_8));
        String sep = realmUri.getRawQuery() == null ? "?" : "&";
        URI uri = URI.create(realmUri.toString() + sep + q);
        String auth = target.credentials() instanceof Credentials.Basic b ? basicHeader(b) : null;
        String tokenWhat = "a token for " + what;
        Map<String, String> headers = Map.of("Accept", "application/json");
        try (Transport.Response r = transport.follow(uri, headers, auth, target, tokenWhat)) {
            if (r.status() == 401 || r.status() == 403) {
                throw new RegistryException(Reason.UNAUTHORIZED, "registry refused the credentials for " + target.host()
                        + " (token server " + uri.getHost() + " answered " + r.status() + " for " + what + " in "
                        + target.name() + ")");
            }
            if (r.status() != 200) {
                throw new RegistryException(r.status() >= 500 ? Reason.UNREACHABLE : Reason.PROTOCOL, "token server "
                        + uri.getHost() + " answered " + r.status() + " for " + what + " in " + target.name());
            }
            if (r.contentLength() > MAX_TOKEN_RESPONSE_BYTES) {
                throw tokenTooLarge(target, uri, what);
            }
            byte[] body = r.body().readNBytes(MAX_TOKEN_RESPONSE_BYTES + 1);
            if (body.length > MAX_TOKEN_RESPONSE_BYTES) {
                throw tokenTooLarge(target, uri, what);
            }
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(body);
            } catch (IOException e) {
                json = null;
            }
            String token = json == null ? null : Json.text(json, "token");
            if (token == null || token.isEmpty()) {
                token = json == null ? null : Json.text(json, "access_token");
            }
            if (token == null || token.isEmpty() || !printableAscii(token)) {
                throw new RegistryException(Reason.PROTOCOL, "token server " + uri.getHost()
                        + " answered no usable token for " + what + " in " + target.name());
            }
            Duration lifetime = DEFAULT_TOKEN_LIFETIME;
            JsonNode exp = json.get("expires_in");
            if (exp != null && exp.canConvertToLong() && exp.asLong() > DEFAULT_TOKEN_LIFETIME.toSeconds()) {
                lifetime = Duration.ofSeconds(exp.asLong());
            }
            String header = "Bearer " + token;
            remember(target, header, lifetime.minus(EXPIRY_MARGIN));
            return header;
        }
    }

    private static RegistryException tokenTooLarge(Target target, URI uri, String what) {
        return new RegistryException(Reason.LIMIT, "token server " + uri.getHost() + " answered more than "
                + MAX_TOKEN_RESPONSE_BYTES + " bytes for " + what + " in " + target.name());
    }

    private static boolean printableAscii(String s) {
        return s.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }

    private static String basicHeader(Credentials.Basic b) {
        return "Basic " + Base64.getEncoder().encodeToString((b.user() + ":" + b.password()).getBytes(StandardCharsets.UTF_8));
    }
}
