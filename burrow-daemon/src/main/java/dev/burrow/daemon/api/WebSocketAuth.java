package dev.burrow.daemon.api;

import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Principal;
import dev.burrow.daemon.tokens.Grant;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.TokenSubprotocols;
import dev.burrow.daemon.tokens.Tokens;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Who may open a WebSocket (SPEC §3, WebSocket authentication): an API key in
 * {@code Authorization}, or — for browsers, which cannot set headers on a WebSocket — the
 * subprotocol pair {@code burrow} + {@code burrow.token.<t>} with a {@code pty}-scoped token for
 * that very microVM. Either way the {@code Origin}, when a browser sends one, must be this
 * daemon's own: a page elsewhere must not drive a shell with the user's cookie or key.
 */
final class WebSocketAuth {

    static final String PROTOCOL = TokenSubprotocols.PROTOCOL;
    static final String TOKEN_PREFIX = TokenSubprotocols.TOKEN_PREFIX;
    private static final int HTTP_PORT = 80;
    private static final int HTTPS_PORT = 443;

    /** The key id a token-authenticated caller carries (it has no API key). */
    static final String TOKEN_KEY_ID = "pty-token";

    private final ApiKeys keys;
    private volatile Tokens tokens;

    WebSocketAuth(ApiKeys keys) {
        this.keys = keys;
    }

    void tokens(Tokens tokens) {
        this.tokens = tokens;
    }

    /** The caller of a WebSocket route on {@code microVmId}; 403 for a foreign Origin, 401 without a valid credential. */
    Principal authenticate(Request request, String microVmId) {
        checkOrigin(request);
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth != null) {
            if (!auth.startsWith("Bearer ")) {
                throw new ApiException(401, "unauthorized", null, "send Authorization: Bearer <api key>, or the subprotocols "
                        + PROTOCOL + " and " + TOKEN_PREFIX + "<token>");
            }
            return keys.authenticate(auth.substring(7).trim())
                    .orElseThrow(() -> new ApiException(401, "unauthorized", null, "the API key is not valid (revoked or mistyped)"));
        }
        List<String> offered = offered(request);
        List<String> raw = TokenSubprotocols.tokens(offered);
        if (raw.isEmpty()) {
            throw new ApiException(401, "unauthorized", null, "send Authorization: Bearer <api key>, or offer the subprotocols "
                    + PROTOCOL + " and " + TOKEN_PREFIX + "<token> with a pty token from POST /v1/microvms/" + microVmId + "/tokens");
        }
        if (raw.size() > 1 || !offered.contains(PROTOCOL)) {
            throw new ApiException(401, "unauthorized", null, "offer exactly one " + TOKEN_PREFIX + "<token> subprotocol, and "
                    + PROTOCOL + " beside it (the one the server answers)");
        }
        Tokens t = tokens;
        Grant grant = t == null ? null : t.verify(raw.getFirst()).orElse(null);
        if (grant == null) {
            throw new ApiException(401, "unauthorized", null, "the token is not valid: unknown, expired, or already exchanged");
        }
        if (grant.scope() != Scope.PTY) {
            throw new ApiException(401, "unauthorized", null, "the token's scope is " + grant.scope().json()
                    + "; the terminal needs a pty token (POST /v1/microvms/" + microVmId + "/tokens {\"scope\":\"pty\"})");
        }
        if (!grant.opens(microVmId, Scope.PTY)) {
            throw new ApiException(401, "unauthorized", null, "the token is for another microVM");
        }
        return new Principal(grant.tenantId(), null, false, TOKEN_KEY_ID);
    }

    /** The subprotocols a client offered, in order (every {@code Sec-WebSocket-Protocol} header, comma-split). */
    static List<String> offered(Request request) {
        return TokenSubprotocols.offered(request.getHeaders().getValuesList(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL));
    }

    /** An absent Origin (a non-browser client) passes; a browser's must name the host and port the request was sent to. */
    private static void checkOrigin(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin == null) {
            return;
        }
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host == null || !sameOrigin(origin, host)) {
            throw new ApiException(403, "forbidden", null, "the Origin " + Queries.printable(origin)
                    + " is not this daemon's; a WebSocket is accepted only from pages it serves itself");
        }
    }

    /** Whether {@code origin} names the authority in {@code host} (a Host without a port matches the origin scheme's default port). */
    static boolean sameOrigin(String origin, String host) {
        URI o;
        try {
            o = new URI(origin);
        } catch (URISyntaxException e) {
            return false;
        }
        String scheme = o.getScheme() == null ? "" : o.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || o.getHost() == null || o.getRawPath() != null && !o.getRawPath().isEmpty()) {
            return false;
        }
        int originPort = o.getPort() != -1 ? o.getPort() : scheme.equals("https") ? HTTPS_PORT : HTTP_PORT;
        String h = host.toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        String hostName = h;
        int hostPort = -1;
        if (colon > h.lastIndexOf(']')) {
            hostName = h.substring(0, colon);
            try {
                hostPort = Integer.parseInt(h.substring(colon + 1));
            } catch (NumberFormatException e) {
                return false;
            }
        }
        boolean portMatches = hostPort == -1 ? o.getPort() == -1 : hostPort == originPort;
        return o.getHost().toLowerCase(Locale.ROOT).equals(hostName) && portMatches;
    }
}
