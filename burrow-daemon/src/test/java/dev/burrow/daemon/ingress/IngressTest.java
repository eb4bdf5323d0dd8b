package dev.burrow.daemon.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.api.ApiServer;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The endpoint against in-test guest apps on loopback sockets: routing, tokens, header rules, streaming, pool, tunnel. */
class IngressTest extends IngressFixture {

    @Test
    void aHostBasedGetReachesThePortItNamesWithBurrowsCredentialsStripped() throws Exception {
        String t = token(PortSet.of(8080));
        Wire.Response r = get(host(8080, "vm1"), "/a/b?x=1", "X-Burrow-Token: " + t, "Authorization: Bearer secret",
                "X-Burrow-Port: 8081", "Cookie: one=1; burrow_ingress=" + t + "; two=2");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("hello from /a/b");
        assertThat(r.header("x-app")).isEqualTo("yes");
        assertThat(r.header("set-cookie")).isEqualTo("app=1");
        assertThat(r.header("x-request-id")).isNotBlank();
        assertThat(seen.get("uri")).isEqualTo("/a/b?x=1");
        assertThat(seen).doesNotContainKeys("x-burrow-token", "authorization", "x-burrow-port");
        assertThat(seen.get("cookie")).isEqualTo("one=1; two=2");
        assertThat(seen.get("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(seen.get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.get("x-forwarded-host")).isEqualTo(host(8080, "vm1"));
        assertThat(seen.get("x-request-id")).isEqualTo(r.header("x-request-id"));
        assertThat(String.join(",", seen.values())).doesNotContain(t);
    }

    @Test
    void aPathBasedRequestReachesTheVersionsIngressPortWithThePrefixCut() throws Exception {
        String t = token(PortSet.of(8080));
        Wire.Response r = get("127.0.0.1:" + server.port(), "/proxy/vm1/x/y?q=2", "X-aws-proxy-auth: " + t);
        assertThat(r.status()).isEqualTo(200);
        assertThat(seen.get("uri")).isEqualTo("/x/y?q=2");
        assertThat(seen.get("x-forwarded-prefix")).isEqualTo("/proxy/vm1");
        assertThat(seen).doesNotContainKey("x-aws-proxy-auth");
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1", "X-Burrow-Token: " + t).status()).isEqualTo(200);
        assertThat(seen.get("uri")).isEqualTo("/");
    }

    @Test
    void theXBurrowPortHeaderPicksThePortOnPathBasedRequests() throws Exception {
        String t = token(PortSet.all());
        guests.ports.put(8081, app.getAddress().getPort());
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-Burrow-Token: " + t, "X-Burrow-Port: 8081").status())
                .isEqualTo(200);
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-Burrow-Token: " + t, "X-Burrow-Port: 80a").status())
                .isEqualTo(400);
    }

    @Test
    void lambdaMicroVmsPortHeaderPicksThePortAndNeverReachesTheGuest() throws Exception {
        String t = token(PortSet.of(8081));
        guests.ports.put(8081, app.getAddress().getPort());
        Wire.Response r = get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-aws-proxy-auth: " + t, "X-aws-proxy-port: 8081");
        assertThat(r.status()).isEqualTo(200);
        assertThat(seen.get("uri")).isEqualTo("/p");
        assertThat(seen).doesNotContainKeys("x-aws-proxy-port", "x-aws-proxy-auth");
        // without the header the version's ingressPort (8080) is the target, which this token does not allow
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-aws-proxy-auth: " + t).status()).isEqualTo(403);
    }

    @Test
    @Tag("hostile")
    void aLambdaMicroVmsPortOutsideTheTokenIsForbiddenAndAMalformedOneABadRequest() throws Exception {
        String t = token(PortSet.of(8080));
        guests.ports.put(8081, app.getAddress().getPort());
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-aws-proxy-auth: " + t, "X-aws-proxy-port: 8081").status())
                .isEqualTo(403);
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-aws-proxy-auth: " + t, "X-aws-proxy-port: 0").status())
                .isEqualTo(400);
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/p", "X-aws-proxy-auth: " + t, "X-aws-proxy-port: 8081",
                "X-Burrow-Port: 8080").status()).isEqualTo(400);
    }

    @Test
    void aRequestWithoutAValidTokenForThisMicroVmIsUnauthorized() throws Exception {
        assertThat(get(host(8080, "vm1"), "/").status()).isEqualTo(401);
        assertThat(get(host(8080, "vm1"), "/", "X-Burrow-Token: " + "A".repeat(43)).status()).isEqualTo(401);
        String other = tokens.issue(SocketGuests.TENANT, "vm2", Scope.INGRESS, PortSet.of(8080), Duration.ofSeconds(900)).token();
        Wire.Response r = get(host(8080, "vm1"), "/", "X-Burrow-Token: " + other);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("content-type")).isEqualTo("application/problem+json");
        assertThat(r.text()).contains("another microVM");
        assertThat(guests.visits.get()).isZero();
    }

    @Test
    void anExpiredTokenIsUnauthorized() throws Exception {
        String t = token(PortSet.of(8080));
        assertThat(get(host(8080, "vm1"), "/", "X-Burrow-Token: " + t).status()).isEqualTo(200);
        clock.now = clock.now.plusSeconds(901);
        assertThat(get(host(8080, "vm1"), "/", "X-Burrow-Token: " + t).status()).isEqualTo(401);
    }

    @Test
    void aPortTheTokenDoesNotAllowAndTheHooksPortAreForbidden() throws Exception {
        Wire.Response r = get(host(8081, "vm1"), "/", "X-Burrow-Token: " + token(PortSet.of(8080)));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.text()).contains("8081");
        Wire.Response hooks = get(host(9000, "vm1"), "/burrow/v1/run", "X-Burrow-Token: " + token(PortSet.all()));
        assertThat(hooks.status()).isEqualTo(403);
        assertThat(hooks.text()).contains("hooks port");
        String pty = tokens.issue(SocketGuests.TENANT, SocketGuests.ID, Scope.PTY, PortSet.all(), Duration.ofSeconds(900)).token();
        assertThat(get(host(8080, "vm1"), "/", "X-Burrow-Token: " + pty).status()).isEqualTo(403);
        assertThat(guests.visits.get()).isZero();
    }

    @Test
    void aUrlTokenIsTradedOnceForAnHttpOnlyCookieThatThenWorks() throws Exception {
        String t = token(PortSet.of(8080));
        Wire.Response r = get(host(8080, "vm1"), "/page?a=1&burrow_token=" + t + "&b=2");
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.header("location")).isEqualTo("/page?a=1&b=2");
        String cookie = r.header("set-cookie");
        assertThat(cookie).startsWith("burrow_ingress=").contains("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=900")
                .doesNotContain("Domain");
        String value = cookie.substring("burrow_ingress=".length(), cookie.indexOf(';'));
        assertThat(value).isNotEqualTo(t);
        assertThat(get(host(8080, "vm1"), "/page?a=1&b=2", "Cookie: burrow_ingress=" + value).status()).isEqualTo(200);
        assertThat(seen).doesNotContainKey("cookie");
        assertThat(get(host(8080, "vm1"), "/page?burrow_token=" + t).status()).isEqualTo(401);
        assertThat(get("127.0.0.1:" + server.port(), "/proxy/vm1/?burrow_token=" + value).status()).isEqualTo(400);
    }

    @Test
    void requestAndResponseBodiesStreamBothWaysWhole() throws Exception {
        String t = token(PortSet.of(8080));
        byte[] upload = new byte[3 << 20];
        new Random(7).nextBytes(upload);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> fixed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/proxy/vm1/up"))
                .header("X-Burrow-Token", t).POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(fixed.statusCode()).isEqualTo(200);
        assertThat(seen.get("bodySha")).isEqualTo(HexFormat.of().formatHex(sha().digest(upload)));
        assertThat(seen.get("content-length")).isEqualTo(Integer.toString(upload.length));
        // no length: the client sends chunks, the guest gets chunks
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/proxy/vm1/up"))
                .header("X-Burrow-Token", t).POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(upload)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(seen.get("bodyBytes")).isEqualTo(Integer.toString(upload.length));
        assertThat(seen.get("transfer-encoding")).isEqualTo("chunked");
        long size = 5L << 20;
        HttpResponse<byte[]> big = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/proxy/vm1/d?big=" + size))
                .header("X-Burrow-Token", t).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(big.body()).hasSize((int) size);
        byte[] expected = new byte[(int) size];
        Random rnd = new Random(size);
        byte[] chunk = new byte[8192];
        for (int off = 0; off < size; off += chunk.length) {
            rnd.nextBytes(chunk);
            System.arraycopy(chunk, 0, expected, off, Math.min(chunk.length, (int) size - off));
        }
        assertThat(big.body()).isEqualTo(expected);
        await(() -> guests.openVisits.get() == 0, "every visit ended");
    }

    @Test
    void keepAliveRequestsReuseOnePooledGuestStream() throws Exception {
        String t = token(PortSet.of(8080));
        try (Wire w = new Wire(server.port())) {
            for (int i = 0; i < 5; i++) {
                w.send("GET /k" + i + " HTTP/1.1\r\nHost: " + host(8080, "vm1") + "\r\nX-Burrow-Token: " + t + "\r\n\r\n");
                assertThat(w.read().text()).isEqualTo("hello from /k" + i);
            }
        }
        assertThat(guests.dials.get()).isEqualTo(1);
        // a new guest channel (after a suspend) does not reuse streams of the old one
        guests.channel = new Object();
        assertThat(get(host(8080, "vm1"), "/again", "X-Burrow-Token: " + t).status()).isEqualTo(200);
        assertThat(guests.dials.get()).isEqualTo(2);
    }

    @Test
    void aHeadAnswerKeepsTheGuestsLengthAndTheConnectionServesTheNextRequest() throws Exception {
        try (FakeApp app = new FakeApp(s -> {
            while (true) {
                String head = FakeApp.head(s.getInputStream());
                if (head == null) {
                    return;
                }
                String body = head.startsWith("HEAD") ? "" : "hello";
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
            }
        })) {
            guests.ports.put(8080, app.port());
            String t = token(PortSet.of(8080));
            try (Wire w = new Wire(server.port())) {
                w.send("HEAD / HTTP/1.1\r\nHost: " + host(8080, "vm1") + "\r\nX-Burrow-Token: " + t + "\r\n\r\n");
                String head = FakeApp.head(w.in);
                assertThat(head).startsWith("HTTP/1.1 200").contains("Content-Length: 5");
                w.send("GET / HTTP/1.1\r\nHost: " + host(8080, "vm1") + "\r\nX-Burrow-Token: " + t + "\r\n\r\n");
                assertThat(w.read().text()).isEqualTo("hello");
            }
            assertThat(app.accepted.get()).isEqualTo(1);
        }
    }

    @Test
    void aSuspendedMicroVmWithoutAutoResumeAnswers409NamingResume() throws Exception {
        guests.suspended = true;
        Wire.Response r = get(host(8080, "vm1"), "/", "X-Burrow-Token: " + token(PortSet.of(8080)));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.text()).contains("/v1/microvms/vm1/resume");
    }

    @Test
    void nothingListeningOnThePortIs502NamingIt() throws Exception {
        Wire.Response r = get(host(8082, "vm1"), "/", "X-Burrow-Token: " + token(PortSet.all()));
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).contains("port 8082");
        assertThat(guests.openVisits.get()).isZero();
    }

    @Test
    void anUpgradeTheGuestAcceptsBecomesARawTunnelBothWays() throws Exception {
        try (FakeApp echo = new FakeApp(s -> {
            String head = FakeApp.head(s.getInputStream());
            seen.put("head", head);
            s.getOutputStream().write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-echo\r\nConnection: Upgrade\r\n\r\nready\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getInputStream().transferTo(s.getOutputStream());
        })) {
            guests.ports.put(8080, echo.port());
            String t = token(PortSet.of(8080));
            try (Wire w = new Wire(server.port())) {
                w.send("GET /tunnel HTTP/1.1\r\nHost: " + host(8080, "vm1") + "\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n"
                        + "X-Burrow-Token: " + t + "\r\n\r\n");
                String head = FakeApp.head(w.in);
                assertThat(head).startsWith("HTTP/1.1 101").containsIgnoringCase("upgrade: x-echo");
                assertThat(new String(w.in.readNBytes(6), StandardCharsets.ISO_8859_1)).isEqualTo("ready\n");
                for (int i = 0; i < 3; i++) {
                    w.send("ping " + i + "\n");
                    assertThat(new String(w.in.readNBytes(7), StandardCharsets.ISO_8859_1)).isEqualTo("ping " + i + "\n");
                }
                assertThat(guests.openVisits.get()).isEqualTo(1);
                assertThat(seen.get("head")).containsIgnoringCase("connection: upgrade").doesNotContain(t);
            }
            await(() -> guests.openVisits.get() == 0, "the closed tunnel ended its visit");
        }
    }

    @Test
    void aWebSocketAuthenticatesBySubprotocolAndTheGuestNeverSeesIt() throws Exception {
        try (FakeApp ws = new FakeApp(s -> {
            String head = FakeApp.head(s.getInputStream());
            seen.put("head", head);
            String key = head.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-key:")).findFirst().orElseThrow()
                    .substring(18).strip();
            String accept = java.util.Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
            String chosen = head.contains("chat.v2") ? "Sec-WebSocket-Protocol: chat.v2\r\n" : "";
            s.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n" + chosen + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            TinyWebSocket.echo(s.getInputStream(), s.getOutputStream());
        })) {
            guests.ports.put(8080, ws.port());
            String t = token(PortSet.of(8080));
            HttpClient http = HttpClient.newHttpClient();
            for (List<String> offered : List.of(List.of("burrow.token." + t), List.of("burrow.token." + t, "chat.v2"))) {
                CompletableFuture<String> got = new CompletableFuture<>();
                WebSocket socket = http.newWebSocketBuilder().subprotocols("burrow", offered.toArray(String[]::new))
                        .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/proxy/vm1/ws"), new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                got.complete(data.toString());
                                return null;
                            }
                        }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(socket.getSubprotocol()).isEqualTo(offered.size() == 1 ? "burrow" : "chat.v2");
                socket.sendText("hi", true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(got.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hi");
                assertThat(seen.get("head")).doesNotContain(t).doesNotContain("burrow");
                socket.abort();
            }
            await(() -> guests.openVisits.get() == 0, "the aborted WebSockets ended their visits");
        }
    }

    @Test
    void aWebSocketNamesItsPortWithTheLambdaMicroVmsSubprotocolWhichIsAnsweredButNotForwarded() throws Exception {
        try (FakeApp ws = new FakeApp(s -> {
            String head = FakeApp.head(s.getInputStream());
            seen.put("head", head);
            String key = head.lines().filter(l -> l.toLowerCase().startsWith("sec-websocket-key:")).findFirst().orElseThrow()
                    .substring(18).strip();
            String accept = java.util.Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
            s.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            TinyWebSocket.echo(s.getInputStream(), s.getOutputStream());
        })) {
            guests.ports.put(8082, ws.port());
            String t = token(PortSet.of(8082));
            CompletableFuture<String> got = new CompletableFuture<>();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().header("X-aws-proxy-auth", t)
                    .subprotocols("lambda-microvms.port.8082")
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/proxy/vm1/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            got.complete(data.toString());
                            return null;
                        }
                    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(socket.getSubprotocol()).isEqualTo("lambda-microvms.port.8082");
            socket.sendText("hi", true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hi");
            assertThat(seen.get("head")).doesNotContain(t).doesNotContain("lambda-microvms");
            socket.abort();
            await(() -> guests.openVisits.get() == 0, "the aborted WebSocket ended its visit");
        }
    }

    @Test
    void aWebSocketFromAForeignOriginIsForbidden() throws Exception {
        String t = token(PortSet.of(8080));
        Wire.Response r = get(host(8080, "vm1"), "/ws", "Connection: Upgrade", "Upgrade: websocket", "X-Burrow-Token: " + t,
                "Origin: http://evil.example");
        assertThat(r.status()).isEqualTo(403);
        assertThat(guests.visits.get()).isZero();
    }
}
