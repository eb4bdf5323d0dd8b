package dev.burrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in burrowd on an ephemeral port that speaks the docs/API.md shapes: uploads, images
 * and versions (builds advance PENDING → BUILDING → READY or FAILED as they are polled),
 * microVMs (paged two at a time), exec with NDJSON output and streamed stdin, problem+json errors.
 */
final class FakeBurrowd implements AutoCloseable {
    /** The client config's key: tenant {@code dev}, not an admin. */
    static final String KEY = "bk_test_0123456789abcdef";
    /** The admin key ({@code <dataDir>/admin.key} or {@code BURROW_ADMIN_KEY}). */
    static final String ADMIN_KEY = "bk_admin_fedcba9876543210";
    private static final ObjectMapper M = new ObjectMapper();

    record Request(String method, String path, String query, byte[] body) {
        JsonNode json() {
            try {
                return M.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<String, byte[]> uploads = new ConcurrentHashMap<>();
    final Map<String, List<ObjectNode>> images = new ConcurrentHashMap<>();
    final Map<String, ObjectNode> microvms = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, CompletableFuture<byte[]>> stdins = new ConcurrentHashMap<>();
    final FakeAdmin admin = new FakeAdmin();
    final FakeSystem system = new FakeSystem();
    /** Per microVM: the egress decisions {@code GET /v1/microvms/{id}/egress} pages through, two at a time. */
    final Map<String, List<ObjectNode>> egress = new ConcurrentHashMap<>();
    final Set<String> publicImages = ConcurrentHashMap.newKeySet();
    volatile String failBuildsWith;
    private final AtomicInteger seq = new AtomicInteger();
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    FakeBurrowd() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    ObjectNode addMicroVm(String id) {
        ObjectNode vm = M.createObjectNode();
        vm.put("id", id);
        vm.put("image", "demo");
        vm.put("version", 1);
        vm.put("state", "RUNNING");
        vm.putNull("stateReason");
        vm.put("createdAt", "2026-11-29T10:00:00Z");
        vm.put("updatedAt", "2026-11-29T10:00:00Z");
        vm.put("expiresAt", "2026-11-29T18:00:00Z");
        vm.putObject("labels");
        ObjectNode res = vm.putObject("resources");
        res.put("vcpus", 1);
        res.put("memoryMiB", 512);
        res.put("diskMiB", 2048);
        vm.putObject("network").put("egress", "none");
        microvms.put(id, vm);
        return vm;
    }

    List<Request> requests(String method, String pathPrefix) {
        return requests.stream().filter(r -> r.method.equals(method) && r.path.startsWith(pathPrefix)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    /** What the CLI sent that the OpenAPI document does not allow; a test fails on any. */
    final List<String> contractViolations = new CopyOnWriteArrayList<>();
    private static final dev.burrow.api.ApiContract CONTRACT = dev.burrow.api.ApiContract.get();

    private void checkAgainstContract(String method, String path, byte[] body) {
        boolean jsonBody = (method.equals("POST") || method.equals("PATCH") || method.equals("PUT")) && path.startsWith("/v1/")
                && !path.equals("/v1/uploads") && !path.endsWith("/stdin");
        if (!jsonBody) {
            return;
        }
        try {
            CONTRACT.validateRequest(method, path, M.readTree(body)).forEach(v -> contractViolations.add(method + " " + path + ": " + v));
        } catch (IOException e) {
            contractViolations.add(method + " " + path + ": not JSON: " + e.getMessage());
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            byte[] body = ex.getRequestBody().readAllBytes();
            requests.add(new Request(method, path, query, body));
            checkAgainstContract(method, path, body);
            if (path.equals("/healthz")) {
                json(ex, 200, M.createObjectNode().put("status", "ok"));
                return;
            }
            FakeAdmin.Key who = admin.principal(ex.getRequestHeaders().getFirst("Authorization"));
            if (who == null) {
                problem(ex, 401, "unauthorized", "missing or invalid API key");
                return;
            }
            if (admin.handle(ex, who, method, path, query, body) || system.handle(ex, who, method, path)) {
                return;
            }
            if (p3(path) && method.equals("PATCH")) {
                publish(ex, who, path.substring("/v1/images/".length()), body);
                return;
            }
            route(ex, method, path, query, body);
        } catch (RuntimeException e) {
            e.printStackTrace();
            problem(ex, 500, "internal", e.toString());
        }
    }

    private void route(HttpExchange ex, String method, String path, String query, byte[] body) throws IOException {
        String[] p = path.substring(1).split("/");
        if (method.equals("GET") && path.equals("/v1/version")) {
            ObjectNode v = M.createObjectNode();
            v.put("server", "0.1.0");
            v.put("agentProtocol", 1);
            v.put("vmm", "qemu 7.2.22");
            v.put("accelerator", "TCG");
            v.put("kernel", "6.1.0-test");
            json(ex, 200, v);
        } else if (method.equals("POST") && path.equals("/v1/uploads")) {
            String id = "up" + seq.incrementAndGet();
            uploads.put(id, body);
            ObjectNode u = M.createObjectNode();
            u.put("uploadId", id);
            u.put("bytes", body.length);
            u.put("sha256", sha256(body));
            u.put("expiresAt", "2026-11-30T10:00:00Z");
            json(ex, 201, u);
        } else if (method.equals("POST") && path.equals("/v1/images")) {
            ObjectNode req = (ObjectNode) M.readTree(body);
            String name = req.path("name").asText();
            if (images.containsKey(name)) {
                problem(ex, 409, "conflict", "image " + name + " already exists");
                return;
            }
            images.put(name, new CopyOnWriteArrayList<>());
            json(ex, 202, newVersion(name, req));
        } else if (p.length == 4 && p[1].equals("images") && p[3].equals("versions") && method.equals("POST")) {
            ObjectNode req = (ObjectNode) M.readTree(body);
            if (req.has("name")) {
                problem(ex, 400, "invalid-request", "unknown field name");
                return;
            }
            if (!images.containsKey(p[2])) {
                problem(ex, 404, "not-found", "no image " + p[2]);
                return;
            }
            json(ex, 202, newVersion(p[2], req));
        } else if (p.length == 5 && p[1].equals("images") && p[3].equals("versions") && method.equals("GET")) {
            List<ObjectNode> versions = images.get(p[2]);
            int v = Integer.parseInt(p[4]);
            if (versions == null || v > versions.size()) {
                problem(ex, 404, "not-found", "no version " + p[2] + ":" + v);
                return;
            }
            ObjectNode ver = versions.get(v - 1);
            advance(ver);
            json(ex, 200, ver);
        } else if (method.equals("GET") && path.equals("/v1/images")) {
            ObjectNode page = M.createObjectNode();
            ArrayNode items = page.putArray("items");
            images.keySet().stream().sorted().forEach(n -> items.add(image(n)));
            page.putNull("nextCursor");
            json(ex, 200, page);
        } else if (p.length == 3 && p[1].equals("images") && method.equals("GET")) {
            if (!images.containsKey(p[2])) {
                problem(ex, 404, "not-found", "image " + p[2] + " not found");
                return;
            }
            json(ex, 200, image(p[2]));
        } else if (p.length == 3 && p[1].equals("images") && method.equals("DELETE")) {
            if (images.remove(p[2]) == null) {
                problem(ex, 404, "not-found", "image " + p[2] + " not found");
                return;
            }
            ex.sendResponseHeaders(204, -1);
        } else if (p.length == 4 && p[1].equals("images") && p[3].equals("versions") && method.equals("GET")) {
            ObjectNode page = M.createObjectNode();
            ArrayNode items = page.putArray("items");
            images.getOrDefault(p[2], List.of()).forEach(items::add);
            page.putNull("nextCursor");
            json(ex, 200, page);
        } else if (p.length == 6 && p[1].equals("images") && p[5].equals("logs") && method.equals("GET")) {
            String log = "build log of " + p[2] + ":" + p[4] + "\nunpack ok\n";
            List<ObjectNode> versions = images.get(p[2]);
            if (query != null && query.contains("follow=true") && versions != null && Integer.parseInt(p[4]) <= versions.size()) {
                // a followed log ends with the build: the version is READY or FAILED by then
                ObjectNode ver = versions.get(Integer.parseInt(p[4]) - 1);
                advance(ver);
                advance(ver);
                log += "build " + ver.path("state").asText() + "\n";
            }
            byte[] b = log.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
        } else if (method.equals("GET") && path.equals("/v1/microvms")) {
            List<ObjectNode> all;
            synchronized (microvms) {
                all = new ArrayList<>(microvms.values());
            }
            int from = 0;
            if (query != null) {
                for (String kv : query.split("&")) {
                    if (kv.startsWith("cursor=")) from = Integer.parseInt(kv.substring(7));
                }
            }
            ObjectNode page = M.createObjectNode();
            ArrayNode items = page.putArray("items");
            for (int i = from; i < Math.min(all.size(), from + 2); i++) items.add(all.get(i));
            if (from + 2 < all.size()) page.put("nextCursor", String.valueOf(from + 2)); else page.putNull("nextCursor");
            json(ex, 200, page);
        } else if (method.equals("POST") && path.equals("/v1/microvms")) {
            JsonNode req = M.readTree(body);
            if (req.path("network").path("allow").size() > 1 && req.path("network").path("allow").get(0).asText().contains("_")) {
                ObjectNode pr = problemNode(400, "invalid-request", "network.allow[0]: 'a_b.com' is not a host name (and 1 more field error(s), see errors)");
                ArrayNode errors = pr.putArray("errors");
                errors.addObject().put("field", "network.allow[0]").put("detail", "network.allow[0]: 'a_b.com' is not a host name");
                errors.addObject().put("field", "network.allow[1]").put("detail", "network.allow[1]: '*' alone allows everything: use egress internet");
                byte[] b = M.writeValueAsBytes(pr);
                ex.getResponseHeaders().set("Content-Type", "application/problem+json");
                ex.sendResponseHeaders(400, b.length);
                ex.getResponseBody().write(b);
                return;
            }
            if (req.path("image").asText().equals("over-quota")) {
                ObjectNode pr = problemNode(429, "quota-exceeded", "the tenant's vcpus quota is exhausted");
                pr.put("quota", "vcpus").put("limit", 8).put("current", 8).put("requested", 1);
                byte[] b = M.writeValueAsBytes(pr);
                ex.getResponseHeaders().set("Content-Type", "application/problem+json");
                ex.sendResponseHeaders(429, b.length);
                ex.getResponseBody().write(b);
                return;
            }
            if (!req.path("image").asText().equals("demo")) {
                problem(ex, 404, "not-found", "image " + req.path("image").asText() + " not found");
                return;
            }
            ObjectNode vm = addMicroVm("vm01new" + seq.incrementAndGet());
            if (req.has("labels")) vm.set("labels", req.get("labels"));
            json(ex, 201, vm);
        } else if (p.length == 3 && p[1].equals("microvms")) {
            ObjectNode vm = microvms.get(p[2]);
            if (vm == null) {
                problem(ex, 404, "not-found", "no microVM " + p[2]);
            } else if (method.equals("DELETE")) {
                vm.put("state", "TERMINATING");
                json(ex, 202, vm);
            } else {
                json(ex, 200, vm);
            }
        } else if (p.length == 4 && p[1].equals("microvms") && (p[3].equals("suspend") || p[3].equals("resume")) && method.equals("POST")) {
            ObjectNode vm = microvms.get(p[2]);
            if (vm == null) {
                problem(ex, 404, "not-found", "no microVM " + p[2]);
            } else if (body.length > 0) {
                problem(ex, 400, "invalid-request", p[3] + " takes no request body");
            } else {
                vm.put("state", p[3].equals("suspend") ? "SUSPENDED" : "RUNNING");
                json(ex, 200, vm);
            }
        } else if (p.length == 4 && p[1].equals("microvms") && p[3].equals("fork") && method.equals("POST")) {
            ObjectNode src = microvms.get(p[2]);
            if (src == null) {
                problem(ex, 404, "not-found", "no microVM " + p[2]);
                return;
            }
            int count = body.length == 0 ? 1 : M.readTree(body).path("count").asInt(1);
            ObjectNode result = M.createObjectNode();
            ArrayNode items = result.putArray("items");
            for (int i = 0; i < count; i++) {
                ObjectNode fork = addMicroVm("vm01fork" + seq.incrementAndGet());
                fork.putObject("labels").put("burrow.fork-of", p[2]);
                items.add(fork);
            }
            json(ex, 201, result);
        } else if (p.length == 4 && p[1].equals("microvms") && p[3].equals("egress") && method.equals("GET")) {
            egressPage(ex, p[2], query);
        } else if (p.length == 4 && p[1].equals("microvms") && p[3].equals("logs") && method.equals("GET")) {
            logs(ex, p[2], query == null ? "" : query);
        } else if (p.length == 4 && p[1].equals("microvms") && p[3].equals("tokens") && method.equals("POST")) {
            token(ex, p[2], body.length == 0 ? M.createObjectNode() : M.readTree(body));
        } else if (p.length == 4 && p[1].equals("microvms") && p[3].equals("exec") && method.equals("POST")) {
            if (microvms.containsKey(p[2])) exec(ex, M.readTree(body)); else problem(ex, 404, "not-found", "no microVM " + p[2]);
        } else if (p.length == 6 && p[1].equals("microvms") && p[3].equals("execs") && p[5].equals("stdin")) {
            CompletableFuture<byte[]> f = stdins.get(p[4]);
            if (f == null) {
                problem(ex, 404, "not-found", "no exec " + p[4]);
                return;
            }
            f.complete(body);
            json(ex, 200, M.createObjectNode().put("bytes", body.length));
        } else {
            problem(ex, 404, "not-found", "no route " + method + " " + path);
        }
    }

    private static boolean p3(String path) {
        return path.startsWith("/v1/images/") && path.indexOf('/', "/v1/images/".length()) < 0;
    }

    private void publish(HttpExchange ex, FakeAdmin.Key who, String name, byte[] body) throws IOException {
        if (!who.admin()) {
            problem(ex, 403, "forbidden", "this call needs an admin key");
        } else if (!images.containsKey(name)) {
            problem(ex, 404, "not-found", "image " + name + " not found");
        } else {
            if (M.readTree(body).path("public").asBoolean()) publicImages.add(name); else publicImages.remove(name);
            json(ex, 200, image(name));
        }
    }

    private void egressPage(HttpExchange ex, String id, String query) throws IOException {
        if (!microvms.containsKey(id)) {
            problem(ex, 404, "not-found", "no microVM " + id);
            return;
        }
        List<ObjectNode> all = egress.getOrDefault(id, List.of());
        int from = query != null && query.contains("cursor=") ? Integer.parseInt(query.replaceAll(".*cursor=(\\d+).*", "$1")) : 0;
        ObjectNode page = M.createObjectNode();
        ArrayNode items = page.putArray("items");
        for (int i = from; i < Math.min(all.size(), from + 2); i++) items.add(all.get(i));
        if (from + 2 < all.size()) page.put("nextCursor", String.valueOf(from + 2)); else page.putNull("nextCursor");
        json(ex, 200, page);
    }

    private ObjectNode image(String name) {
        List<ObjectNode> versions = images.get(name);
        ObjectNode img = M.createObjectNode();
        img.put("name", name);
        img.put("public", publicImages.contains(name));
        img.put("createdAt", "2026-11-29T10:00:00Z");
        img.put("latestVersion", versions.size());
        ArrayNode vs = img.putArray("versions");
        for (ObjectNode v : versions) {
            vs.addObject().put("version", v.path("version").asInt()).put("state", v.path("state").asText())
                    .put("status", v.path("status").asText());
        }
        return img;
    }

    private ObjectNode newVersion(String name, ObjectNode req) {
        List<ObjectNode> versions = images.get(name);
        ObjectNode v = M.createObjectNode();
        v.put("image", name);
        v.put("version", versions.size() + 1);
        v.put("state", "PENDING");
        v.putNull("stateReason");
        v.put("status", "ACTIVE");
        v.put("source", "upload:" + req.path("source").path("uploadId").asText() + " (" + req.path("source").path("format").asText() + ")");
        v.put("createdAt", "2026-11-29T10:00:00Z");
        v.put("updatedAt", "2026-11-29T10:00:00Z");
        versions.add(v);
        return v;
    }

    private void advance(ObjectNode ver) {
        switch (ver.path("state").asText()) {
            case "PENDING" -> ver.put("state", "BUILDING");
            case "BUILDING" -> {
                if (failBuildsWith != null) {
                    ver.put("state", "FAILED");
                    ver.put("stateReason", failBuildsWith);
                } else {
                    ver.put("state", "READY");
                }
            }
            default -> { }
        }
    }

    /** The console ring of every microVM: {@link #console} as text, or NDJSON lines; a follow ends with the microVM. */
    volatile byte[] console = "[    0.00] booted\nburrow-agent: ready\n".getBytes(StandardCharsets.UTF_8);

    private void logs(HttpExchange ex, String id, String query) throws IOException {
        if (!microvms.containsKey(id)) {
            problem(ex, 404, "not-found", "no microVM " + id);
            return;
        }
        boolean follow = query.contains("follow=true");
        if (!query.contains("format=ndjson")) {
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write(console);
            if (follow) {
                ex.getResponseBody().write("burrow: microVM ended\n".getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        for (String text : new String(console, StandardCharsets.UTF_8).split("(?<=\n)")) {
            line(out, M.createObjectNode().put("time", "2026-11-29T10:00:00Z").put("stream", "console").put("text", text));
        }
        if (follow) {
            out.write('\n'); // a keep-alive
            line(out, M.createObjectNode().put("time", "2026-11-29T10:00:01Z").put("stream", "burrow")
                    .put("text", "microVM " + id + " is TERMINATED: terminated by a request").put("state", "TERMINATED"));
        }
    }

    static final String TOKEN = "A".repeat(43);

    /** Echoes the request as the token route answers it (ports as sent, 900 s by default). */
    private void token(HttpExchange ex, String id, JsonNode req) throws IOException {
        if (!microvms.containsKey(id)) {
            problem(ex, 404, "not-found", "no microVM " + id);
            return;
        }
        String scope = req.path("scope").asText("ingress");
        ObjectNode t = M.createObjectNode();
        t.put("token", TOKEN);
        t.put("scope", scope);
        t.set("ports", scope.equals("pty") ? M.createArrayNode() : req.has("ports") ? req.get("ports") : M.createArrayNode().add(8080));
        t.put("expiresAt", java.time.Instant.parse("2026-11-29T10:00:00Z").plusSeconds(req.path("expiresInSeconds").asInt(900)).toString());
        // the default port (8080) when the token opens it, else its first
        JsonNode first = t.get("ports").isEmpty() ? M.getNodeFactory().numberNode(8080) : t.get("ports").get(0);
        boolean opensDefault = t.get("ports").toString().matches(".*(\\[|,)8080(,|]).*|.*\"all\".*") || t.get("ports").isEmpty();
        int port = opensDefault ? 8080 : first.isInt() ? first.asInt() : first.path("from").asInt();
        t.put("url", scope.equals("pty") ? "http://127.0.0.1:7070/shell/" + id + "?token=" + TOKEN : "http://" + port + "-" + id + ".localhost:7070/");
        json(ex, 201, t);
    }

    /** {@code sh -c "exit N"} prints a line to each stream and exits N; {@code cat} echoes streamed stdin. */
    private void exec(HttpExchange ex, JsonNode req) throws IOException {
        List<String> cmd = new ArrayList<>();
        req.path("cmd").forEach(c -> cmd.add(c.asText()));
        if (cmd.isEmpty()) {
            problem(ex, 400, "invalid-request", "cmd must not be empty");
            return;
        }
        String execId = "ex" + seq.incrementAndGet();
        CompletableFuture<byte[]> stdin = new CompletableFuture<>();
        stdins.put(execId, stdin);
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        line(out, M.createObjectNode().set("started", M.createObjectNode().put("execId", execId)));
        Base64.Encoder b64 = Base64.getEncoder();
        switch (cmd.getFirst()) {
            case "cat" -> {
                byte[] data = new byte[0];
                if (req.path("stdinMode").asText().equals("stream")) {
                    try {
                        data = stdin.get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        line(out, M.createObjectNode().set("error", problemNode(500, "internal", "no stdin arrived")));
                        return;
                    }
                }
                line(out, M.createObjectNode().put("stdout", b64.encodeToString(data)));
                line(out, M.createObjectNode().put("exit", 0));
            }
            case "sh" -> {
                String script = cmd.size() > 2 ? cmd.get(2) : "";
                int code = script.startsWith("exit ") ? Integer.parseInt(script.substring(5).trim()) : 0;
                line(out, M.createObjectNode().put("stdout", b64.encodeToString("to stdout\n".getBytes(StandardCharsets.UTF_8))));
                line(out, M.createObjectNode().put("stderr", b64.encodeToString("to stderr\n".getBytes(StandardCharsets.UTF_8))));
                line(out, M.createObjectNode().put("exit", code));
            }
            case "sleep" -> line(out, M.createObjectNode().put("exit", 137).put("signal", "KILL").put("timedOut", true));
            default -> {
                line(out, M.createObjectNode().put("stderr",
                        b64.encodeToString(("exec: " + cmd.getFirst() + ": not found\n").getBytes(StandardCharsets.UTF_8))));
                line(out, M.createObjectNode().put("exit", 127));
            }
        }
    }

    private static void line(OutputStream out, JsonNode node) throws IOException {
        out.write((M.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode problemNode(int status, String type, String detail) {
        ObjectNode pr = M.createObjectNode();
        pr.put("type", "https://burrow.dev/problems/" + type);
        pr.put("title", type);
        pr.put("status", status);
        pr.put("detail", detail);
        pr.put("instance", "req-test");
        return pr;
    }

    static void problem(HttpExchange ex, int status, String type, String detail) throws IOException {
        byte[] b = M.writeValueAsBytes(problemNode(status, type, detail));
        ex.getResponseHeaders().set("Content-Type", "application/problem+json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static void json(HttpExchange ex, int status, JsonNode node) throws IOException {
        byte[] b = M.writeValueAsBytes(node);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
