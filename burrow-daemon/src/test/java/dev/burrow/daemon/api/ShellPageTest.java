package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.tokens.Grant;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.io.ByteArrayInputStream;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.zip.GZIPInputStream;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The browser terminal's credential flow and files, over HTTP, with the real token store. */
class ShellPageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VM = "vm01abc";
    private static final String OTHER_VM = "vm02xyz";
    private static final String TENANT = "t1";
    private static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private static final Duration LINK_LIFETIME = Duration.ofMinutes(5);
    private static final Pattern COOKIE = Pattern.compile("burrow_shell=([A-Za-z0-9_-]+)");

    /** The tokens' and the page's time, moved by the expiry test. */
    static final class MovableClock extends Clock {
        volatile Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @TempDir
    Path dir;

    final MovableClock clock = new MovableClock();

    Database db;
    Tokens tokens;
    ApiServer server;
    String base;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tokens = new Tokens(db, clock);
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS);
        new ShellPage(tokens, ShellAssets.load(), clock).register(server);
        server.start();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    @Test
    void aOneTimeTokenBecomesAnHttpOnlyStrictCookieScopedToItsTerminal() throws Exception {
        String token = ptyToken(VM);
        HttpResponse<String> r = get("/shell/" + VM + "?token=" + token);

        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(r.headers().firstValue("Location")).contains("/shell/" + VM);
        assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        // the header a browser parses (RFC 6265), not a log line: name=value first, then the attributes
        assertThat(setCookie).matches("burrow_shell=[A-Za-z0-9_-]{43}; .*");
        assertThat(HttpCookie.parse(setCookie)).singleElement().satisfies(c -> {
            assertThat(c.isHttpOnly()).isTrue();
            assertThat(c.getPath()).isEqualTo("/shell/" + VM);
            // java.net.HttpCookie counts from its Expires attribute against the wall clock: a second may have passed
            assertThat(c.getMaxAge()).isBetween(LINK_LIFETIME.toSeconds() - 2, LINK_LIFETIME.toSeconds());
        });
        assertThat(setCookie).contains("HttpOnly").containsIgnoringCase("SameSite=Strict").contains("Path=/shell/" + VM);
        Matcher m = COOKIE.matcher(setCookie);
        assertThat(m.find()).isTrue();
        Grant grant = tokens.verify(m.group(1)).orElseThrow();
        assertThat(grant.microVmId()).isEqualTo(VM);
        assertThat(grant.scope()).isEqualTo(Scope.PTY);
        assertThat(m.group(1)).isNotEqualTo(token);
    }

    @Test
    void aLinkOpensTheTerminalOnlyOnce() throws Exception {
        String token = ptyToken(VM);
        assertThat(get("/shell/" + VM + "?token=" + token).statusCode()).isEqualTo(302);

        HttpResponse<String> again = get("/shell/" + VM + "?token=" + token);

        assertThat(again.statusCode()).isEqualTo(401);
        assertThat(again.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(again.body()).contains("expired");
    }

    @Test
    void aLinkOpenedAgainByABrowserWithTheCookieGoesToThePage() throws Exception {
        String cookie = openWithLink(VM);
        String spent = ptyToken(VM);
        assertThat(get("/shell/" + VM + "?token=" + spent).statusCode()).isEqualTo(302);

        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/shell/" + VM + "?token=" + spent))
                .header("Cookie", "burrow_shell=" + cookie)
                .header("Accept", BROWSER_ACCEPT).GET());

        assertThat(r.statusCode()).isEqualTo(302);
        assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
    }

    @Test
    void aTokenForAnotherMicroVmOrForIngressOpensNothingAndIsNotSpent() throws Exception {
        String foreign = ptyToken(OTHER_VM);
        String ingress = tokens.issue(TENANT, VM, Scope.INGRESS, ports(), Duration.ofMinutes(5)).token();

        assertThat(get("/shell/" + VM + "?token=" + foreign).statusCode()).isEqualTo(401);
        assertThat(get("/shell/" + VM + "?token=" + ingress).statusCode()).isEqualTo(401);

        assertThat(tokens.verify(foreign)).isPresent();
        assertThat(tokens.verify(ingress)).isPresent();
    }

    @Test
    void thePageNeedsTheCookieAndCarriesAStrictContentSecurityPolicy() throws Exception {
        HttpResponse<String> none = get("/shell/" + VM);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).contains("<html");

        String cookie = openWithLink(VM);
        HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(base + "/shell/" + VM)).header("Cookie", "burrow_shell=" + cookie)
                .header("Accept", BROWSER_ACCEPT).GET());

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(csp).contains("default-src 'none'", "script-src 'self';", "frame-ancestors 'none'", "ws://127.0.0.1:" + server.port());
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-store");
        assertThat(page.body()).contains("/shell/assets/xterm.js?v=", "/shell/assets/shell.js?v=").doesNotContain(cookie);
        assertThat(page.body()).doesNotContainPattern("<script>|<script [^s]");
    }

    @Test
    void anExpiredCookieOpensNeitherThePageNorASocket() throws Exception {
        String cookie = openWithLink(VM);
        clock.now = clock.now.plus(LINK_LIFETIME).plusSeconds(1);

        HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(base + "/shell/" + VM)).header("Cookie", "burrow_shell=" + cookie)
                .header("Accept", BROWSER_ACCEPT).GET());
        assertThat(page.statusCode()).isEqualTo(401);
        assertThat(page.body()).contains("expired");
        assertThat(postToken(VM, cookie, base, null).statusCode()).isEqualTo(401);
    }

    @Test
    void theCookieLivesAsLongAsTheLinksToken() throws Exception {
        HttpResponse<String> r = get("/shell/" + VM + "?token=" + ptyToken(VM));

        assertThat(r.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=" + LINK_LIFETIME.toSeconds());
    }

    @Test
    void aClientThatTakesNoHtmlGetsAProblem() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/shell/" + VM)).GET());

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(JSON.readTree(r.body()).get("status").asInt()).isEqualTo(401);
    }

    @Test
    void theCookieOfOneTerminalDoesNotOpenAnother() throws Exception {
        String cookie = openWithLink(VM);

        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/shell/" + OTHER_VM)).header("Cookie", "burrow_shell=" + cookie)
                .header("Accept", BROWSER_ACCEPT).GET());

        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    void thePageGetsAShortLivedPtyTokenForItsOwnMicroVm() throws Exception {
        String cookie = openWithLink(VM);

        HttpResponse<String> r = postToken(VM, cookie, base, null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
        JsonNode body = JSON.readTree(r.body());
        Grant g = tokens.verify(body.get("token").asText()).orElseThrow();
        assertThat(g.scope()).isEqualTo(Scope.PTY);
        assertThat(g.microVmId()).isEqualTo(VM);
        assertThat(g.tenantId()).isEqualTo(TENANT);
        assertThat(g.expiresAt()).isBeforeOrEqualTo(clock.now.plus(ShellPage.SOCKET_TOKEN_LIFETIME));
        assertThat(body.get("expiresAt").asText()).isEqualTo(g.expiresAt().toString());
    }

    @Test
    @Tag("hostile")
    void anotherSiteCannotMintTokensWithTheCookie() throws Exception {
        String cookie = openWithLink(VM);

        assertThat(postToken(VM, cookie, "http://evil.example", null).statusCode()).isEqualTo(403);
        assertThat(postToken(VM, cookie, null, null).statusCode()).isEqualTo(403);
        assertThat(postToken(VM, cookie, "http://127.0.0.1:" + (server.port() + 1), null).statusCode()).isEqualTo(403);
        assertThat(postToken(VM, cookie, base, "cross-site").statusCode()).isEqualTo(403);
        assertThat(postToken(VM, cookie, base, "same-origin").statusCode()).isEqualTo(200);
    }

    @Test
    @Tag("hostile")
    void aPageMintingTokensInALoopIsCappedWithA429() throws Exception {
        String cookie = openWithLink(VM);
        int issued = 0;
        try {
            while (issued <= Tokens.MAX_LIVE_PER_MICROVM) {
                tokens.issue(TENANT, VM, Scope.PTY, ports(), ShellPage.SOCKET_TOKEN_LIFETIME);
                issued++;
            }
        } catch (Tokens.TooManyTokensException expected) {
            // the microVM has as many live tokens as it may
        }

        HttpResponse<String> r = postToken(VM, cookie, base, null);

        assertThat(issued).isLessThan(Tokens.MAX_LIVE_PER_MICROVM);
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        JsonNode problem = JSON.readTree(r.body());
        assertThat(problem.get("quota").asText()).isEqualTo("tokensPerMicroVm");
        assertThat(problem.get("limit").asInt()).isEqualTo(Tokens.MAX_LIVE_PER_MICROVM);
    }

    @Test
    void aTokenRequestWithoutTheCookieIsUnauthorized() throws Exception {
        HttpResponse<String> r = postToken(VM, null, base, null);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
    }

    @Test
    void assetsHaveTheirTypesAndOnlyAVersionedLinkIsCachedForGood() throws Exception {
        ShellAssets.Asset xterm = ShellAssets.load().get("xterm.js").orElseThrow();

        HttpResponse<String> versioned = get("/shell/assets/xterm.js?v=" + xterm.version());
        assertThat(versioned.statusCode()).isEqualTo(200);
        assertThat(versioned.headers().firstValue("Content-Type")).contains("text/javascript; charset=utf-8");
        assertThat(versioned.headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");
        assertThat(versioned.body()).contains("Terminal");

        HttpResponse<String> plain = get("/shell/assets/xterm.js");
        assertThat(plain.headers().firstValue("Cache-Control")).contains("no-cache");

        HttpResponse<String> css = get("/shell/assets/xterm.css");
        assertThat(css.headers().firstValue("Content-Type")).contains("text/css; charset=utf-8");

        HttpResponse<String> unchanged = send(HttpRequest.newBuilder(URI.create(base + "/shell/assets/xterm.js"))
                .header("If-None-Match", versioned.headers().firstValue("ETag").orElseThrow()).GET());
        assertThat(unchanged.statusCode()).isEqualTo(304);
        assertThat(unchanged.body()).isEmpty();
    }

    @Test
    void aClientThatTakesGzipGetsXtermCompressedAndTheSameBytesInside() throws Exception {
        ShellAssets.Asset xterm = ShellAssets.load().get("xterm.js").orElseThrow();

        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/shell/assets/xterm.js?v=" + xterm.version()))
                .header("Accept-Encoding", "gzip, deflate, br").GET().build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(r.headers().firstValue("Content-Encoding")).contains("gzip");
        assertThat(r.headers().firstValue("Vary")).contains("Accept-Encoding");
        assertThat(r.body().length).isLessThan(xterm.bytes().length / 2);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
            assertThat(in.readAllBytes()).isEqualTo(xterm.bytes());
        }
        assertThat(r.headers().firstValue("ETag")).isNotEqualTo(get("/shell/assets/xterm.js").headers().firstValue("ETag"));
    }

    @Test
    @Tag("hostile")
    void onlyTheTerminalsOwnFilesAreServed() throws Exception {
        for (String path : List.of("/shell/assets/page.html", "/shell/assets/..%2Flogback.xml", "/shell/assets/logback.xml",
                "/shell/assets/%2E%2E%2Fdb")) {
            HttpResponse<String> r = get(path);
            // Jetty answers an ambiguous (encoded) path segment with 400 before any route sees it
            assertThat(r.statusCode()).as(path).isIn(400, 404);
            assertThat(r.body()).as(path).doesNotContain("<configuration", "<html");
        }
    }

    private String ptyToken(String vm) {
        return tokens.issue(TENANT, vm, Scope.PTY, ports(), LINK_LIFETIME).token();
    }

    private static PortSet ports() {
        return PortSet.all();
    }

    /** Opens a fresh link and returns the cookie it set. */
    private String openWithLink(String vm) throws Exception {
        HttpResponse<String> r = get("/shell/" + vm + "?token=" + ptyToken(vm));
        Matcher m = COOKIE.matcher(r.headers().firstValue("Set-Cookie").orElseThrow());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private HttpResponse<String> postToken(String vm, String cookie, String origin, String fetchSite) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/shell/" + vm + "/token")).POST(HttpRequest.BodyPublishers.noBody());
        Optional.ofNullable(cookie).ifPresent(c -> b.header("Cookie", "burrow_shell=" + c));
        Optional.ofNullable(origin).ifPresent(o -> b.header("Origin", o));
        Optional.ofNullable(fetchSite).ifPresent(s -> b.header("Sec-Fetch-Site", s));
        return send(b);
    }

    /** A GET as a browser sends it (it accepts HTML). */
    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Accept", BROWSER_ACCEPT).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
