package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.vmm.kernel.KernelCache;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ingress endpoint of a real burrowd in front of real microVMs of the Debian demo image (its
 * layout cached under the kernel cache): the image's own {@code python3 -m http.server 8080}
 * through both routings, a stdlib WebSocket echo server on 8081, the token rules, and a wake-up.
 */
class IngressEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** python3 starting in a fresh microVM: 25–50 s measured under TCG on a loaded 2-core machine. */
    private static final Duration PYTHON_START = Duration.ofMinutes(2);
    /** A WebSocket echo server in the Python standard library: first tells which subprotocols it was offered, then echoes. */
    private static final String WS_SERVER = """
            import socket, threading, hashlib, base64, struct
            G = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
            def frame(op, p):
                n = len(p)
                return (bytes([0x80 | op, n]) if n < 126 else bytes([0x80 | op, 126]) + struct.pack(">H", n)) + p
            def serve(c):
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    d = c.recv(4096)
                    if not d:
                        return
                    data += d
                lines = data.split(b"\\r\\n\\r\\n")[0].decode("latin-1").split("\\r\\n")[1:]
                h = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines if ":" in l}
                acc = base64.b64encode(hashlib.sha1(h["sec-websocket-key"].encode() + G).digest()).decode()
                c.sendall(("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                           "Sec-WebSocket-Accept: %s\\r\\n\\r\\n" % acc).encode())
                c.sendall(frame(1, ("offered:" + h.get("sec-websocket-protocol", "-")).encode()))
                f = c.makefile("rb")
                while True:
                    b0, b1 = f.read(2)
                    n = b1 & 127
                    if n == 126:
                        n = struct.unpack(">H", f.read(2))[0]
                    elif n == 127:
                        n = struct.unpack(">Q", f.read(8))[0]
                    m = f.read(4)
                    p = bytes(x ^ m[i % 4] for i, x in enumerate(f.read(n)))
                    if b0 & 15 == 8:
                        c.sendall(frame(8, b""))
                        return
                    c.sendall(frame(b0 & 15, p))
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 8081))
            s.listen(16)
            while True:
                c, _ = s.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()
            """;

    private static TestDaemon daemon;
    private static String base;
    private static String key;
    private static String vm;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("ingress");
        base = daemon.base;
        key = daemon.key;
        Path layout = BuiltinImages.debianPython(KernelCache.cacheDirFromEnvironment().resolve("images"),
                Files.createDirectories(daemon.dataDir.resolve("tmp")));
        api("POST", "/v1/images", "{\"name\":\"py\",\"source\":{\"type\":\"path\",\"path\":\"" + layout
                + "\",\"format\":\"oci-layout\"}}", 202);
        daemon.awaitVersion("py", 1, Duration.ofMinutes(5));
        vm = run("{\"image\":\"py\"}");
        serveHttp(vm);
        String script = Base64.getEncoder().encodeToString(WS_SERVER.getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> started = send("POST", "/v1/microvms/" + vm + "/exec", "{\"cmd\":[\"sh\",\"-c\","
                + "\"cat > /tmp/ws.py && (python3 /tmp/ws.py > /tmp/ws.log 2>&1 &)\"],\"stdinMode\":\"once\",\"stdin\":\"" + script + "\"}");
        assertThat(started.body()).contains("\"exit\":0");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return daemon.send(method, path, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    }

    static JsonNode api(String method, String path, String body, int status) throws Exception {
        HttpResponse<String> r = send(method, path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    static String run(String body) throws Exception {
        return api("POST", "/v1/microvms", body, 201).get("id").asText();
    }

    /** Starts {@code python3 -m http.server 8080} in the background of {@code id} and waits until it answers through the endpoint. */
    static void serveHttp(String id) throws Exception {
        HttpResponse<String> started = send("POST", "/v1/microvms/" + id + "/exec", "{\"cmd\":[\"sh\",\"-c\","
                + "\"(python3 -m http.server 8080 --bind 127.0.0.1 > /tmp/http.log 2>&1 &)\"]}");
        assertThat(started.body()).contains("\"exit\":0");
        String t = token(id, "[8080]");
        long deadline = System.nanoTime() + PYTHON_START.toNanos();
        HttpResponse<String> r;
        while ((r = viaPath(id, "/", t, null)).statusCode() == 502 && System.nanoTime() < deadline) {
            Thread.sleep(200); // python is still starting (slow under TCG)
        }
        if (r.statusCode() != 200) {
            HttpResponse<String> why = send("POST", "/v1/microvms/" + id + "/exec", "{\"cmd\":[\"sh\",\"-c\","
                    + "\"cat /tmp/http.log; ps -ef; cat /proc/net/tcp; free -m\"]}");
            ExecOutput out = ExecOutput.parse(why.body());
            throw new AssertionError("the http.server of " + id + " does not answer: " + r.body() + "\n" + out.stdout() + out.stderr());
        }
    }

    static String token(String id, String ports) throws Exception {
        return api("POST", "/v1/microvms/" + id + "/tokens", "{\"ports\":" + ports + "}", 201).get("token").asText();
    }

    /** A GET to the path-based endpoint with the token header. */
    static HttpResponse<String> viaPath(String id, String rest, String token, String port) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/proxy/" + id + rest)).header("X-Burrow-Token", token);
        if (port != null) {
            b.header("X-Burrow-Port", port);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET to the host-based endpoint: Host {port}-{id}.localhost (the JDK client will not set Host, so by hand). */
    static String viaHost(int port, String id, String token) throws IOException {
        try (Socket s = new Socket("127.0.0.1", daemon.port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + port + "-" + id + ".localhost:" + daemon.port()
                    + "\r\nX-Burrow-Token: " + token + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void theImagesHttpServerAnswersThroughBothRoutings() throws Exception {
        String t = token(vm, "[8080]");
        HttpResponse<String> path = viaPath(vm, "/", t, null);
        assertThat(path.statusCode()).as(path.body()).isEqualTo(200);
        assertThat(path.body()).contains("Directory listing for /");
        String host = viaHost(8080, vm, t);
        assertThat(host).startsWith("HTTP/1.1 200").contains("Directory listing for /");
    }

    @Test
    void aWebSocketEchoesThroughTheEndpointWithTheTokenInASubprotocolTheGuestNeverSees() throws Exception {
        String t = token(vm, "[8081]");
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                got.add(data.toString());
                w.request(1);
                return null;
            }
        };
        WebSocket ws = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (ws == null) { // the server was started in the background: retry until it listens
            try {
                // path-based, so the port travels in X-Burrow-Port (a browser would use the host-based name instead)
                ws = HTTP.newWebSocketBuilder().header("X-Burrow-Port", "8081").subprotocols("burrow", "burrow.token." + t)
                        .buildAsync(URI.create("ws://127.0.0.1:" + daemon.port() + "/proxy/" + vm + "/echo"), listener)
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
                continue;
            }
        }
        assertThat(ws.getSubprotocol()).isEqualTo("burrow");
        assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("offered:-");
        ws.sendText("hello through the tunnel", true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hello through the tunnel");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aPort8080TokenOnPort8081IsForbiddenAndAnotherMicroVmsTokenIsUnauthorized() throws Exception {
        String t = token(vm, "[8080]");
        assertThat(viaPath(vm, "/", t, "8081").statusCode()).isEqualTo(403);
        assertThat(viaHost(8081, vm, t)).startsWith("HTTP/1.1 403");
        String other = run("{\"image\":\"py\"}");
        serveHttp(other);
        String foreign = token(other, "[8080]");
        assertThat(viaPath(vm, "/", foreign, null).statusCode()).isEqualTo(401);
        assertThat(viaPath(other, "/", foreign, null).statusCode()).isEqualTo(200);
        api("DELETE", "/v1/microvms/" + other, null, 202);
    }

    @Test
    void aSuspendedMicroVmWithAutoResumeWakesAndServes() throws Exception {
        String id = run("{\"image\":\"py\",\"idlePolicy\":{\"maxIdleSeconds\":3600,\"autoResume\":true}}");
        serveHttp(id);
        String t = token(id, "[8080]");
        api("POST", "/v1/microvms/" + id + "/suspend", null, 200);
        assertThat(api("GET", "/v1/microvms/" + id, null, 200).get("state").asText()).isEqualTo("SUSPENDED");
        HttpResponse<String> r = viaPath(id, "/", t, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("Directory listing for /");
        assertThat(api("GET", "/v1/microvms/" + id, null, 200).get("state").asText()).isEqualTo("RUNNING");
        api("DELETE", "/v1/microvms/" + id, null, 202);
    }

    @Test
    void aSuspendedMicroVmWithoutAutoResumeAnswers409NamingResume() throws Exception {
        String id = run("{\"image\":\"py\"}");
        String t = token(id, "[8080]");
        api("POST", "/v1/microvms/" + id + "/suspend", null, 200);
        HttpResponse<String> r = viaPath(id, "/", t, null);
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("/v1/microvms/" + id + "/resume");
        api("DELETE", "/v1/microvms/" + id, null, 202);
    }
}
