package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.burrow.api.ApiContract;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow registry login|logout|ls} and {@code image create --from registry:REF --platform} against a fake /v1/registries. */
class RegistryCommandsTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final String PASSWORD = "hunter2-never-on-screen";

    @TempDir
    Path tmp;

    HttpServer server;
    CliHarness cli;
    final Map<String, JsonNode> stored = new ConcurrentHashMap<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
        cli = new CliHarness(tmp);
        cli.env.put("BURROW_URL", "http://127.0.0.1:" + server.getAddress().getPort());
        cli.env.put("BURROW_API_KEY", "bk_test_0123456789abcdef");
        cli.stdinTty = false;
    }

    @AfterEach
    void stop() {
        server.stop(0);
        assertThat(violations).isEmpty();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = URI.create(ex.getRequestURI().getRawPath()).getPath(); // percent-decoded, as burrowd sees it
            byte[] body = ex.getRequestBody().readAllBytes();
            requests.add(method + " " + path + " " + new String(body, StandardCharsets.UTF_8));
            if (method.equals("PUT") || method.equals("POST")) {
                CONTRACT.validateRequest(method, path, M.readTree(body)).forEach(v -> violations.add(method + " " + path + ": " + v));
            }
            if (path.equals("/v1/registries") && method.equals("GET")) {
                ObjectNode page = M.createObjectNode();
                ArrayNode items = page.putArray("items");
                stored.values().forEach(items::add);
                page.putNull("nextCursor");
                send(ex, 200, page);
            } else if (path.startsWith("/v1/registries/")) {
                String host = path.substring("/v1/registries/".length());
                switch (method) {
                    case "PUT" -> {
                        JsonNode in = M.readTree(body);
                        ObjectNode e = M.createObjectNode().put("host", host).put("kind", in.has("token") ? "token" : "basic");
                        if (in.has("username")) {
                            e.put("username", in.get("username").asText());
                        } else {
                            e.putNull("username");
                        }
                        e.put("updatedAt", "2026-12-01T19:00:00Z");
                        stored.put(host, e);
                        send(ex, 200, e);
                    }
                    case "DELETE" -> {
                        if (stored.remove(host) == null) {
                            send(ex, 404, M.createObjectNode().put("type", "not-found").put("title", "Not Found").put("status", 404)
                                    .put("detail", "no login for registry " + host));
                        } else {
                            ex.sendResponseHeaders(204, -1);
                        }
                    }
                    default -> send(ex, 405, M.createObjectNode());
                }
            } else if (path.equals("/v1/images") && method.equals("POST")) {
                ObjectNode v = M.createObjectNode().put("image", "app").put("version", 1).put("state", "PENDING");
                send(ex, 202, v);
            } else {
                send(ex, 404, M.createObjectNode().put("type", "not-found").put("status", 404).put("detail", "no route"));
            }
        }
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = M.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", status >= 400 ? "application/problem+json" : "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void loginReadsThePasswordFromStdinAndNeverPrintsIt() throws Exception {
        cli.stdin = (PASSWORD + "\n").getBytes(StandardCharsets.UTF_8);
        var r = cli.run("registry", "login", "127.0.0.1:5000", "-u", "alice", "--password-stdin");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("127.0.0.1:5000").contains("alice").doesNotContain(PASSWORD);
        assertThat(r.err()).doesNotContain(PASSWORD);
        JsonNode sent = M.readTree(requests.getFirst().substring(requests.getFirst().indexOf('{')));
        assertThat(requests.getFirst()).startsWith("PUT /v1/registries/127.0.0.1:5000 ");
        assertThat(sent.get("password").asText()).as("one trailing newline dropped").isEqualTo(PASSWORD);
        assertThat(sent.get("username").asText()).isEqualTo("alice");
    }

    @Test
    void aTokenLoginSendsOnlyTheToken() throws Exception {
        cli.stdin = "tok-abc\r\n".getBytes(StandardCharsets.UTF_8);
        var r = cli.run("registry", "login", "ghcr.io", "--token-stdin");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode sent = M.readTree(requests.getFirst().substring(requests.getFirst().indexOf('{')));
        assertThat(sent.properties()).extracting(Map.Entry::getKey).containsExactly("token");
        assertThat(sent.get("token").asText()).isEqualTo("tok-abc");
        assertThat(r.out()).contains("token").doesNotContain("tok-abc");
    }

    @Test
    void withoutATerminalOrStdinFlagLoginExplainsWhatToDoAndSendsNothing() {
        var r = cli.run("registry", "login", "ghcr.io", "-u", "alice");
        assertThat(r.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(r.err()).contains("--password-stdin");
        var both = cli.run("registry", "login", "ghcr.io", "--password-stdin", "--token-stdin");
        assertThat(both.code()).isEqualTo(Burrow.EXIT_ERROR);
        var tokenWithUser = cli.run("registry", "login", "ghcr.io", "-u", "a", "--token-stdin");
        assertThat(tokenWithUser.err()).contains("no --username");
        cli.stdin = new byte[0];
        var empty = cli.run("registry", "login", "ghcr.io", "-u", "a", "--password-stdin");
        assertThat(empty.err()).contains("no password on stdin");
        assertThat(requests).isEmpty();
    }

    @Test
    void lsShowsHostsKindsAndUsersAndLogoutRemoves() throws Exception {
        cli.stdin = (PASSWORD + "\n").getBytes(StandardCharsets.UTF_8);
        assertThat(cli.run("registry", "login", "r.example", "-u", "bob", "--password-stdin").code()).isZero();
        var ls = cli.run("registry", "ls");
        assertThat(ls.code()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("HOST").contains("r.example").contains("basic").contains("bob").doesNotContain(PASSWORD);
        var json = cli.run("registry", "ls", "--json");
        assertThat(M.readTree(json.out()).get(0).get("host").asText()).isEqualTo("r.example");
        assertThat(cli.run("registry", "logout", "r.example").code()).isZero();
        var again = cli.run("registry", "logout", "r.example");
        assertThat(again.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(again.err()).contains("no login for registry r.example");
    }

    @Test
    void imageCreateFromARegistrySendsTheRefAndPlatform() throws Exception {
        var r = cli.run("image", "create", "app", "--from", "registry:127.0.0.1:5000/team/app:1", "--platform", "linux/amd64", "--detach");
        assertThat(r.code()).as(r.err()).isZero();
        String post = requests.stream().filter(q -> q.startsWith("POST /v1/images ")).findFirst().orElseThrow();
        JsonNode source = M.readTree(post.substring(post.indexOf('{'))).get("source");
        assertThat(source.get("type").asText()).isEqualTo("registry");
        assertThat(source.get("ref").asText()).isEqualTo("127.0.0.1:5000/team/app:1");
        assertThat(source.get("platform").asText()).isEqualTo("linux/amd64");
        Path archive = Files.writeString(tmp.resolve("app.tar"), "not read");
        var upload = cli.run("image", "create", "app", "--from", "oci-archive:" + archive, "--platform", "linux/amd64");
        assertThat(upload.code()).isEqualTo(Burrow.EXIT_ERROR);
        assertThat(upload.err()).contains("--platform applies to registry:REF sources only");
    }
}
