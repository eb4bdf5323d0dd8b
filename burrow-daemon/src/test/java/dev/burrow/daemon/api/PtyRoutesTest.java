package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.tokens.PortSet;
import dev.burrow.daemon.tokens.Scope;
import dev.burrow.daemon.tokens.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PTY WebSocket against fake terminals: validation, auth, Origin, the byte and control paths, flow control. */
class PtyRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final String VM = "vm1";

    @TempDir
    Path dir;

    Database db;
    ApiServer server;
    FakePtys ptys = new FakePtys();
    String keyA;
    String keyB;
    Tokens tokens;

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        ApiKeys keys = new ApiKeys(db);
        keyA = keys.create(tenants.create("a", null).orElseThrow().id(), false);
        keyB = keys.create(tenants.create("b", null).orElseThrow().id(), false);
        ptys.tenant = tenants.list().stream().filter(t -> t.name().equals("a")).findFirst().orElseThrow().id();
        ptys.known.add(VM);
        tokens = new Tokens(db, Clock.systemUTC());
        server = new ApiServer("127.0.0.1", 0, keys, ApiLimits.DEFAULTS).webSocketTokens(tokens);
        new PtyRoutes(ptys, PtyLimits.DEFAULTS.withTimers(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .register(server);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    private URI ws(String query) {
        return URI.create("ws://127.0.0.1:" + server.port() + "/v1/microvms/" + VM + "/pty" + query);
    }

    private WsClient open(String query) throws Exception {
        return WsClient.connect(ws(query), Map.of("Authorization", "Bearer " + keyA), true);
    }

    @Test
    void inputReachesTheTerminalAndItsOutputComesBackAsBinaryMessages() throws Exception {
        WsClient c = open("");
        c.send("echo hi\r");
        WsClient.await(() -> c.output().equals("echo hi\r"), "the echo came back");
        assertThat(ptys.last().input.toString()).isEqualTo("echo hi\r");
        assertThat(ptys.last().request.cmd()).isEqualTo(PtyRoutes.LOGIN_SHELL);
        assertThat(ptys.last().request.cols()).isEqualTo(PtyLimits.DEFAULT_COLS);
        assertThat(ptys.last().request.rows()).isEqualTo(PtyLimits.DEFAULT_ROWS);
    }

    @Test
    void theQueryChoosesCommandSizeUserAndDirectory() throws Exception {
        WsClient c = open("?cmd=top&cmd=-b&cols=132&rows=43&user=app&cwd=/srv");
        c.send("\u0004");
        c.awaitClose();
        Pty.Request r = ptys.last().request;
        assertThat(r.cmd()).containsExactly("top", "-b");
        assertThat(List.of(r.cols(), r.rows())).containsExactly(132, 43);
        assertThat(List.of(r.user(), r.cwd())).containsExactly("app", "/srv");
    }

    @Test
    void theServerSendsTheExitCodeThenClosesNormally() throws Exception {
        WsClient c = open("");
        c.send("\u0004");
        assertThat(c.awaitClose()).startsWith("1000 ");
        assertThat(c.texts).containsExactly("{\"exit\":0}");
        assertThat(CONTRACT.validateFrame("pty-control", JSON.readTree(c.texts.getFirst()))).isEmpty();
    }

    @Test
    void resizeAndSignalControlMessagesReachTheTerminal() throws Exception {
        WsClient c = open("");
        String resize = "{\"resize\":{\"cols\":100,\"rows\":30}}";
        assertThat(CONTRACT.validateFrame("pty-control", JSON.readTree(resize))).isEmpty();
        c.control(resize);
        WsClient.await(() -> !ptys.last().resizes.isEmpty(), "the resize arrived");
        assertThat(ptys.last().resizes).containsExactly("100x30");
        c.control("{\"signal\":\"INT\"}");
        assertThat(c.awaitClose()).startsWith("1000 ");
        assertThat(ptys.last().signals).containsExactly(2);
        assertThat(c.texts).containsExactly("{\"exit\":130}");
    }

    @Test
    @Tag("hostile")
    void aControlMessageOutsideTheSchemaClosesWithPolicyViolation() throws Exception {
        for (String bad : List.of("{\"resize\":{\"cols\":0,\"rows\":5}}", "{\"resize\":{\"cols\":5}}", "{\"signal\":\"BOOM\"}",
                "{\"exit\":1}", "not json", "{\"resize\":{\"cols\":5,\"rows\":5},\"signal\":\"INT\"}")) {
            WsClient c = open("");
            c.control(bad);
            assertThat(c.awaitClose()).as(bad).startsWith("1008 ");
            WsClient.await(() -> ptys.last().killed.get(), "the terminal was ended");
            assertThat(ptys.last().resizes).isEmpty();
        }
    }

    @Test
    void aBadQueryIsA400NamingEachField() throws Exception {
        HttpResponse<String> r = get("?cols=0&rows=x&user=&cmd=&color=1", Map.of("Authorization", "Bearer " + keyA));
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("errors").findValuesAsText("field")).containsExactlyInAnyOrder("cols", "rows", "user", "cmd", "color");
        assertThat(CONTRACT.validateResponse("GET", "/v1/microvms/" + VM + "/pty", 400, "application/problem+json", body)).isEmpty();
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    void aTooLargeTerminalIsA400() throws Exception {
        HttpResponse<String> r = get("?cols=1001", Map.of("Authorization", "Bearer " + keyA));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("cols must be between 1 and 1000");
    }

    @Test
    void aPlainGetIs426AndOpensNoTerminal() throws Exception {
        HttpResponse<String> r = get("", Map.of("Authorization", "Bearer " + keyA));
        assertThat(r.statusCode()).isEqualTo(426);
        assertThat(r.headers().firstValue("Upgrade")).hasValue("websocket");
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    void withoutACredentialTheHandshakeIs401() {
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of(), true))
                .satisfies(e -> assertThat(status(e)).isEqualTo(401));
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    void anotherTenantsMicroVmIs404() {
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of("Authorization", "Bearer " + keyB), true))
                .satisfies(e -> assertThat(status(e)).isEqualTo(404));
    }

    @Test
    void aSuspendedMicroVmWithoutAutoResumeIs409() {
        ptys.suspended.add(VM);
        assertThatThrownBy(() -> open("")).satisfies(e -> assertThat(status(e)).isEqualTo(409));
    }

    @Test
    @Tag("hostile")
    void aForeignOriginIs403() {
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of("Authorization", "Bearer " + keyA, "Origin", "http://evil.example"), true))
                .satisfies(e -> assertThat(status(e)).isEqualTo(403));
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    void theDaemonsOwnOriginIsAccepted() throws Exception {
        WsClient c = WsClient.connect(ws(""), Map.of("Authorization", "Bearer " + keyA, "Origin", "http://127.0.0.1:" + server.port()), true);
        c.send("x");
        WsClient.await(() -> c.output().equals("x"), "the echo came back");
    }

    @Test
    void theBurrowSubprotocolIsAnswered() throws Exception {
        WsClient c = WsClient.connect(ws(""), Map.of("Authorization", "Bearer " + keyA), true, "burrow");
        assertThat(c.ws.getSubprotocol()).isEqualTo("burrow");
    }

    private String token(String microVmId, Scope scope) {
        return tokens.issue(ptys.tenant, microVmId, scope, scope == Scope.PTY ? PortSet.all() : PortSet.of(8080), Duration.ofMinutes(5)).token();
    }

    @Test
    void aPtyTokenOfferedAsASubprotocolOpensTheTerminalAndTheServerAnswersBurrow() throws Exception {
        WsClient c = WsClient.connect(ws(""), Map.of(), true, "burrow", "burrow.token." + token(VM, Scope.PTY));
        assertThat(c.ws.getSubprotocol()).isEqualTo("burrow");
        c.send("hi");
        WsClient.await(() -> c.output().equals("hi"), "the echo came back");
    }

    @Test
    @Tag("hostile")
    void anIngressTokenIs401() {
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of(), true, "burrow", "burrow.token." + token(VM, Scope.INGRESS)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(401));
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    @Tag("hostile")
    void anotherMicroVmsTokenIs401() {
        ptys.known.add("vm2");
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of(), true, "burrow", "burrow.token." + token("vm2", Scope.PTY)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(401));
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    @Tag("hostile")
    void anUnknownTokenOrOneWithoutTheBurrowSubprotocolIs401() throws Exception {
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of(), true, "burrow", "burrow.token.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(401));
        String valid = token(VM, Scope.PTY);
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of(), true, "burrow.token." + valid))
                .satisfies(e -> assertThat(status(e)).isEqualTo(401));
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    @Tag("hostile")
    void aValidTokenFromAForeignOriginIs403() {
        assertThatThrownBy(() -> WsClient.connect(ws(""), Map.of("Origin", "http://localhost.evil.example:" + server.port()), true,
                "burrow", "burrow.token." + token(VM, Scope.PTY)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(403));
        assertThat(ptys.opened).isEmpty();
    }

    @Test
    void aSuspendClosesTheSocketWith1001AndAReason() throws Exception {
        WsClient c = open("");
        WsClient.await(() -> !ptys.opened.isEmpty(), "the terminal opened");
        ptys.suspended.add(VM);
        ptys.last().fail("agent channel closed: the microVM was suspended");
        assertThat(c.awaitClose()).startsWith("1001 ").contains("suspended");
    }

    @Test
    void aLostTerminalClosesTheSocketWith1011AndItsReason() throws Exception {
        WsClient c = open("");
        WsClient.await(() -> !ptys.opened.isEmpty(), "the terminal opened");
        ptys.last().fail("agent channel closed: the VMM died");
        assertThat(c.awaitClose()).startsWith("1011 ").contains("VMM died");
    }

    @Test
    void aClientThatClosesEndsTheTerminal() throws Exception {
        WsClient c = open("");
        c.ws.sendClose(1000, "bye").get();
        WsClient.await(() -> ptys.last().killed.get(), "the terminal was ended");
    }

    @Test
    void trafficIsActivityAndASilentTerminalIsNot() throws Exception {
        WsClient c = open("");
        WsClient.await(() -> !ptys.opened.isEmpty(), "the terminal opened");
        int before = ptys.touches.get();
        c.send("a");
        WsClient.await(() -> ptys.touches.get() > before, "the input was activity");
        assertThat(before).isZero();
    }

    @Test
    @Tag("hostile")
    void aClientThatNeverReadsPausesTheTerminalInsteadOfBufferingItsOutput() throws Exception {
        ptys.flood = true;
        WsClient c = WsClient.connect(ws(""), Map.of("Authorization", "Bearer " + keyA), false);
        WsClient.await(() -> !ptys.opened.isEmpty(), "the terminal opened");
        FakePtys.Terminal t = ptys.last();
        // output is taken from the terminal only as the socket drains: it stops once the TCP buffers are full
        long[] seen = {-1};
        long[] stableSince = {System.nanoTime()};
        WsClient.await(() -> {
            long now = t.taken.get();
            if (now != seen[0]) {
                seen[0] = now;
                stableSince[0] = System.nanoTime();
            }
            return System.nanoTime() - stableSince[0] > Duration.ofSeconds(1).toNanos();
        }, "the terminal's output stopped being taken");
        assertThat(t.taken.get()).isLessThan(64L << 20);
        c.ws.abort();
    }

    private HttpResponse<String> get(String query, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/microvms/" + VM + "/pty" + query));
        headers.forEach(b::header);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
        }
        throw new AssertionError("not a handshake failure", e);
    }
}
