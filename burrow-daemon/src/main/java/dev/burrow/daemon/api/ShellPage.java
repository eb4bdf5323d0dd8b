package dev.burrow.daemon.api;

import dev.burrow.daemon.tokens.Grant;
import dev.burrow.daemon.tokens.Issued;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * The browser terminal (SPEC §3 PTY): {@code GET /shell/{id}?token=<pty token>} trades the
 * one-time token for an HttpOnly, SameSite=Strict cookie scoped to {@code /shell/{id}} and
 * redirects to the clean URL; {@code GET /shell/{id}} with the cookie serves the page;
 * {@code POST /shell/{id}/token} (same origin only) gives the page's script a short-lived pty
 * token for each WebSocket it opens; {@code /shell/assets/…} serves xterm.js and the page's
 * files. None of these take an API key: the pty token is the credential.
 */
final class ShellPage {

    static final String COOKIE = "burrow_shell";
    /**
     * How long the page's WebSocket token lives: the shortest a token may (it only has to open
     * one socket), so it may outlive its cookie by at most this much.
     */
    static final Duration SOCKET_TOKEN_LIFETIME = Tokens.MIN_LIFETIME;
    private static final List<String> TOKEN_PARAMS = List.of("token", "burrow_token");
    private static final String ASSET_CACHE = "public, max-age=31536000, immutable";
    private static final String PAGE_CSP = "default-src 'none'; script-src 'self'; "
            // xterm.js adds <style> elements for its measurements and theme (no nonce support)
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self' %s; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String ERROR_CSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final Pattern SAFE_HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,255}");

    private final Tokens tokens;
    private final ShellAssets assets;
    private final Clock clock;

    ShellPage(Tokens tokens, ShellAssets assets, Clock clock) {
        this.tokens = tokens;
        this.assets = assets;
        this.clock = clock;
    }

    void register(ApiServer api) {
        api.publicRoute("GET", ShellAssets.PREFIX + "{name}", this::asset);
        api.publicRoute("GET", "/shell/{id}", this::page);
        api.publicRoute("POST", "/shell/{id}/token", this::socketToken);
    }

    private void page(Call c) throws IOException {
        Queries.only(c, TOKEN_PARAMS);
        String id = c.param("id");
        String raw = queryToken(c);
        if (raw != null) {
            exchange(c, id, raw);
            return;
        }
        if (cookieGrant(c.request, id).isEmpty()) {
            error(c, 401, "This terminal link has expired",
                    "The link is used up or expired, or it is for another microVM. Open a new link to reach this terminal.");
            return;
        }
        noStore(c);
        c.response.getHeaders().put("Content-Security-Policy", PAGE_CSP.formatted(socketSources(c.request)));
        write(c, 200, "text/html; charset=utf-8", assets.page(id).getBytes(StandardCharsets.UTF_8));
    }

    /** The one-time query token becomes the cookie; the redirect drops it from the address bar and history. */
    private void exchange(Call c, String id, String raw) throws IOException {
        Optional<Grant> grant = tokens.verify(raw).filter(g -> fits(g, id));
        Optional<Issued> cookie = grant.isEmpty() ? Optional.empty() : tokens.exchange(raw);
        if (cookie.isEmpty()) {
            if (cookieGrant(c.request, id).isPresent()) {
                // the link was opened again (its token is spent) by a browser that already has the cookie
                redirect(c, id, null);
                return;
            }
            error(c, 401, "This terminal link has expired",
                    "The link's token is used up or expired, or it is for another microVM. Each link opens the terminal once.");
            return;
        }
        redirect(c, id, cookie.get());
    }

    private void redirect(Call c, String id, Issued cookie) throws IOException {
        if (cookie != null) {
            long maxAge = Math.max(0, Duration.between(clock.instant(), cookie.grant().expiresAt()).toSeconds());
            HttpCookie set = HttpCookie.build(COOKIE, cookie.token())
                    .path("/shell/" + id)
                    .httpOnly(true)
                    .secure(c.request.isSecure())
                    .sameSite(HttpCookie.SameSite.STRICT)
                    .maxAge(maxAge)
                    .build();
            Response.addCookie(c.response, set);
        }
        noStore(c);
        c.response.getHeaders().put(HttpHeader.LOCATION, "/shell/" + id);
        write(c, 302, "text/plain; charset=utf-8", new byte[0]);
    }

    /** A fresh pty token for the page's next WebSocket, only for a same-origin request carrying the cookie. */
    private void socketToken(Call c) throws IOException {
        String id = c.param("id");
        checkSameOrigin(c.request);
        Grant grant = cookieGrant(c.request, id).orElseThrow(() -> new ApiException(401, "unauthorized", null,
                        "this terminal's cookie is missing or expired; open a new terminal link"));
        Issued issued;
        try {
            issued = tokens.issue(grant.tenantId(), id, Scope.PTY, grant.ports(), SOCKET_TOKEN_LIFETIME);
        } catch (Tokens.TooManyTokensException e) {
            throw new ApiException(429, "quota-exceeded", null, e.getMessage(),
                    Map.of("quota", "tokensPerMicroVm", "limit", e.limit, "current", e.current), Map.of("Retry-After", "5"));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", issued.token());
        body.put("expiresAt", issued.grant().expiresAt().toString());
        noStore(c);
        c.send(200, body);
    }

    private void asset(Call c) throws IOException {
        Queries.only(c, List.of("v"));
        Optional<ShellAssets.Asset> found = assets.get(c.param("name"));
        if (found.isEmpty()) {
            throw ApiException.notFound("no such terminal asset: " + Queries.printable(c.param("name")));
        }
        ShellAssets.Asset a = found.get();
        String accepted = c.request.getHeaders().get(HttpHeader.ACCEPT_ENCODING);
        boolean gzip = a.gzipped() != null && accepted != null && accepted.toLowerCase(Locale.ROOT).contains("gzip");
        // only a link naming the current content is cached for good; any other one is checked every time
        boolean current = a.version().equals(c.query("v"));
        c.response.getHeaders().put(HttpHeader.CACHE_CONTROL, current ? ASSET_CACHE : "no-cache");
        c.response.getHeaders().put(HttpHeader.ETAG, a.etag(gzip));
        c.response.getHeaders().put(HttpHeader.VARY, HttpHeader.ACCEPT_ENCODING.asString());
        c.response.getHeaders().put("X-Content-Type-Options", "nosniff");
        if (a.etag(gzip).equals(c.request.getHeaders().get(HttpHeader.IF_NONE_MATCH))) {
            c.response.setStatus(304);
            Content.Sink.asOutputStream(c.response).close();
            return;
        }
        if (gzip) {
            c.response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
        }
        write(c, 200, a.contentType(), gzip ? a.gzipped() : a.bytes());
    }

    private static boolean fits(Grant g, String id) {
        return g.scope() == Scope.PTY && g.microVmId().equals(id);
    }

    private Optional<Grant> cookieGrant(Request request, String id) {
        for (HttpCookie cookie : Request.getCookies(request)) {
            if (cookie.getName().equals(COOKIE)) {
                Optional<Grant> g = tokens.verify(cookie.getValue()).filter(x -> fits(x, id));
                if (g.isPresent()) {
                    return g;
                }
            }
        }
        return Optional.empty();
    }

    private static String queryToken(Call c) {
        String found = null;
        for (String name : TOKEN_PARAMS) {
            String v = c.query(name);
            if (v != null) {
                found = v;
            }
        }
        return found;
    }

    /**
     * A token request must come from the terminal page itself: its {@code Origin} names this
     * daemon's host (a page elsewhere cannot mint tokens with the cookie even where SameSite
     * is not enforced).
     */
    private static void checkSameOrigin(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        String host = request.getHeaders().get(HttpHeader.HOST);
        String site = request.getHeaders().get("Sec-Fetch-Site");
        if (origin == null || host == null || !host.equalsIgnoreCase(authority(origin)) || (site != null && !site.equals("same-origin"))) {
            throw new ApiException(403, "forbidden", null, "a terminal token is only given to the terminal page itself (same origin)");
        }
    }

    private static String authority(String origin) {
        try {
            return new URI(origin).getRawAuthority();
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** {@code connect-src 'self'} does not cover WebSockets in every browser: name them for this host. */
    private static String socketSources(Request request) {
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host == null || !SAFE_HOST.matcher(host).matches()) {
            return "";
        }
        return "ws://" + host + " wss://" + host;
    }

    private static void noStore(Call c) {
        c.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        c.response.getHeaders().put("Referrer-Policy", "no-referrer");
        c.response.getHeaders().put("X-Content-Type-Options", "nosniff");
    }

    /** A browser (it accepts text/html) gets a small page; any other client the usual problem+json. */
    private void error(Call c, int status, String title, String detail) throws IOException {
        String accept = c.request.getHeaders().get(HttpHeader.ACCEPT);
        if (accept == null || !accept.contains("text/html")) {
            throw new ApiException(status, Problems.typeOf(status), null, title + ": " + detail);
        }
        noStore(c);
        c.response.getHeaders().put("Content-Security-Policy", ERROR_CSP);
        write(c, status, "text/html; charset=utf-8", assets.errorPage(title, detail).getBytes(StandardCharsets.UTF_8));
    }

    private static void write(Call c, int status, String contentType, byte[] body) throws IOException {
        c.response.setStatus(status);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        c.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        try (OutputStream out = Content.Sink.asOutputStream(c.response)) {
            out.write(body);
        }
    }
}
