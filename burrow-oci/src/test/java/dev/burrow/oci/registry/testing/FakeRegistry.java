package dev.burrow.oci.registry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.Platform;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An in-process registry whose misbehaviour a test scripts: blobs served with the wrong bytes,
 * cut off mid-body, without {@code Range} support, redirected elsewhere or held at a gate;
 * manifests larger than allowed with or without a {@code Content-Length}; auth that never
 * accepts. Every request is recorded ({@link #requests()}) with its {@code Authorization} and
 * {@code Range} headers. Loopback only, one virtual thread per exchange.
 */
public final class FakeRegistry implements AutoCloseable {
    /** The longest a {@link Gate} holds a response. */
    public static final Duration GATE_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How clients must authenticate. */
    public enum Auth { NONE, BASIC, BEARER, REFUSE_EVERY_TOKEN }

    /** A request the fake answered. */
    public record Request(String path, String authorization, String range) {
    }

    /** What the next GET of a blob does instead of serving it plainly. */
    public sealed interface Behaviour {
    }

    /** Declares the full length, sends {@code bytes} of the body, then drops the connection. */
    public record CutAfter(long bytes) implements Behaviour {
    }

    /** Serves these bytes instead (with their own length). */
    public record Replace(byte[] bytes) implements Behaviour {
    }

    /** Redirects (307) to {@code location}. */
    public record Redirect(URI location) implements Behaviour {
    }

    /** Tells {@code entered}, then waits for {@code release} before serving. */
    public record Gate(CountDownLatch entered, CountDownLatch release) implements Behaviour {
    }

    /** Sends {@code bytes} of the body, then nothing until {@code release}, then drops the connection. */
    public record StallAfter(long bytes, CountDownLatch release) implements Behaviour {
    }

    /** Answers 403 with an error message that echoes the request's {@code Authorization} header. */
    public record DenyEchoingAuthorization() implements Behaviour {
    }

    /** Serves a manifest of {@code size} bytes of JSON padding, declaring its length or not. */
    public record Oversized(long size, boolean declared) implements Behaviour {
    }

    private final HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>(); // repo:ref → bytes
    private final Map<String, String> manifestTypes = new ConcurrentHashMap<>();
    private final Map<String, Deque<Behaviour>> scripts = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<String> tokens = new CopyOnWriteArrayList<>();
    private volatile Auth auth = Auth.NONE;
    private volatile String user;
    private volatile String password;
    private volatile boolean rangeSupported = true;
    private volatile String digestHeaderOverride;
    private volatile URI realm;

    public FakeRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** {@code 127.0.0.1:port}. */
    public String host() {
        return "127.0.0.1:" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requires {@code mode}; BEARER's token endpoint ({@code /token}) wants Basic with these credentials. */
    public FakeRegistry auth(Auth mode, String user, String password) {
        this.auth = mode;
        this.user = user;
        this.password = password;
        return this;
    }

    /** Sends clients to this token realm instead of the fake's own {@code /token}. */
    public FakeRegistry realm(URI realm) {
        this.realm = realm;
        return this;
    }

    /** Whether {@code Range} requests are answered with 206 (default) or ignored (200, whole blob). */
    public FakeRegistry rangeSupported(boolean supported) {
        this.rangeSupported = supported;
        return this;
    }

    /** Sends this {@code Docker-Content-Digest} for every manifest instead of the true one. */
    public FakeRegistry digestHeader(String value) {
        this.digestHeaderOverride = value;
        return this;
    }

    /** Serves an OCI layout as {@code repo:tag} (several manifests become an index); returns the tag's descriptor. */
    public Descriptor serve(String repo, String tag, Path layout) throws IOException {
        Path blobDir = layout.resolve("blobs").resolve(Digest.ALGORITHM);
        try (var files = Files.list(blobDir)) {
            for (Path p : files.toList()) {
                blobs.put(Digest.ALGORITHM + ":" + p.getFileName(), Files.readAllBytes(p));
            }
        }
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        List<Descriptor> listed = new ArrayList<>();
        for (JsonNode m : index.get("manifests")) {
            Digest d = Digest.parse(m.get("digest").asText());
            String type = m.get("mediaType").asText();
            byte[] bytes = blobs.get(d.toString());
            manifest(repo, d.toString(), type, bytes);
            JsonNode p = m.get("platform");
            listed.add(new Descriptor(type, d, bytes.length, p == null ? null
                    : new Platform(p.get("os").asText(), p.get("architecture").asText(),
                            p.has("variant") ? p.get("variant").asText() : null)));
        }
        if (listed.size() == 1) {
            Descriptor only = listed.get(0);
            manifest(repo, tag, only.mediaType(), blobs.get(only.digest().toString()));
            return only;
        }
        byte[] bytes = OciLayoutWriter.indexJson(listed);
        manifest(repo, tag, MediaTypes.OCI_INDEX, bytes);
        Descriptor d = new Descriptor(MediaTypes.OCI_INDEX, RegistryPusher.sha256(bytes), bytes.length);
        manifest(repo, d.digest().toString(), MediaTypes.OCI_INDEX, bytes);
        return d;
    }

    /** Serves {@code bytes} as the manifest {@code repo:reference}. */
    public void manifest(String repo, String reference, String mediaType, byte[] bytes) {
        manifests.put(repo + ":" + reference, bytes);
        manifestTypes.put(repo + ":" + reference, mediaType);
    }

    /** Serves a blob (any repository). */
    public Digest blob(byte[] bytes) {
        Digest d = RegistryPusher.sha256(bytes);
        blobs.put(d.toString(), bytes);
        return d;
    }

    /** The next GETs of {@code key} (a blob digest, or {@code repo:reference} of a manifest) behave so, in order. */
    public FakeRegistry script(String key, Behaviour... behaviours) {
        scripts.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addAll(List.of(behaviours));
        return this;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Bearer tokens the fake's {@code /token} endpoint issued. */
    public List<String> issuedTokens() {
        return List.copyOf(tokens);
    }

    /** GETs of one blob so far. */
    public long blobRequests(Digest d) {
        return requests.stream().filter(r -> r.path().endsWith("/blobs/" + d)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String authorization = ex.getRequestHeaders().getFirst("Authorization");
            requests.add(new Request(path, authorization, ex.getRequestHeaders().getFirst("Range")));
            if (path.equals("/token")) {
                token(ex, authorization);
                return;
            }
            if (path.startsWith("/storage/")) {
                serveBlob(ex, path.substring("/storage/".length()), null);
                return;
            }
            if (!path.startsWith("/v2/")) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            if (!authorized(authorization)) {
                challenge(ex);
                return;
            }
            String rest = path.substring("/v2/".length());
            int m = rest.lastIndexOf("/manifests/");
            int b = rest.lastIndexOf("/blobs/");
            if (m > 0) {
                String key = rest.substring(0, m) + ":" + rest.substring(m + "/manifests/".length());
                serveManifest(ex, key);
            } else if (b > 0) {
                serveBlob(ex, rest.substring(b + "/blobs/".length()), rest.substring(0, b));
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean authorized(String authorization) {
        return switch (auth) {
            case NONE -> true;
            case BASIC -> basic().equals(authorization);
            case BEARER -> authorization != null && authorization.startsWith("Bearer ")
                    && tokens.contains(authorization.substring("Bearer ".length()));
            case REFUSE_EVERY_TOKEN -> false;
        };
    }

    private String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private void challenge(HttpExchange ex) throws IOException {
        String value = auth == Auth.BASIC ? "Basic realm=\"fake\""
                : "Bearer realm=\"" + (realm != null ? realm : "http://" + host() + "/token")
                        + "\",service=\"fake\",scope=\"repository:x:pull\"";
        ex.getResponseHeaders().set("WWW-Authenticate", value);
        byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(401, body.length);
        ex.getResponseBody().write(body);
    }

    private void token(HttpExchange ex, String authorization) throws IOException {
        if (!basic().equals(authorization)) {
            ex.sendResponseHeaders(401, -1);
            return;
        }
        String token = UUID.randomUUID().toString();
        tokens.add(token);
        byte[] body = JSON.writeValueAsBytes(Map.of("token", token, "expires_in", 300));
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private Behaviour next(String key) {
        Deque<Behaviour> q = scripts.get(key);
        return q == null ? null : q.pollFirst();
    }

    private void serveManifest(HttpExchange ex, String key) throws IOException, InterruptedException {
        Behaviour b = next(key);
        if (b instanceof DenyEchoingAuthorization) {
            byte[] body = JSON.writeValueAsBytes(Map.of("errors", List.of(Map.of("code", "DENIED",
                    "message", "you sent " + ex.getRequestHeaders().getFirst("Authorization")))));
            ex.sendResponseHeaders(403, body.length);
            ex.getResponseBody().write(body);
            return;
        }
        if (b instanceof Oversized o) {
            ex.getResponseHeaders().set("Content-Type", MediaTypes.OCI_MANIFEST);
            ex.sendResponseHeaders(200, o.declared() ? o.size() : 0);
            writePadding(ex.getResponseBody(), o.size());
            return;
        }
        byte[] bytes = b instanceof Replace r ? r.bytes() : manifests.get(key);
        if (bytes == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        ex.getResponseHeaders().set("Content-Type", manifestTypes.getOrDefault(key, MediaTypes.OCI_MANIFEST));
        ex.getResponseHeaders().set("Docker-Content-Digest",
                digestHeaderOverride != null ? digestHeaderOverride : RegistryPusher.sha256(bytes).toString());
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void writePadding(OutputStream out, long size) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) ' ');
        try {
            for (long left = size; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(left, chunk.length));
            }
        } catch (IOException e) {
            // the client gave up reading, as it should
        }
    }

    private void serveBlob(HttpExchange ex, String digest, String repo) throws IOException, InterruptedException {
        Behaviour b = next(digest);
        if (b instanceof Gate g) {
            g.entered().countDown();
            if (!g.release().await(GATE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                ex.sendResponseHeaders(503, -1);
                return;
            }
            b = null;
        }
        if (b instanceof Redirect r) {
            ex.getResponseHeaders().set("Location", r.location().toString());
            ex.sendResponseHeaders(307, -1);
            return;
        }
        byte[] bytes = b instanceof Replace r ? r.bytes() : blobs.get(digest);
        if (bytes == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        int start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && rangeSupported && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
            ex.sendResponseHeaders(206, bytes.length - start);
        } else {
            ex.sendResponseHeaders(200, bytes.length);
        }
        OutputStream out = ex.getResponseBody();
        if (b instanceof CutAfter c) {
            out.write(bytes, start, (int) Math.min(c.bytes(), bytes.length - start));
            out.flush();
            throw new IOException("cut"); // the exchange closes short: the server drops the connection
        }
        if (b instanceof StallAfter st) {
            out.write(bytes, start, (int) Math.min(st.bytes(), bytes.length - start));
            out.flush();
            st.release().await(GATE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            throw new IOException("stalled");
        }
        out.write(bytes, start, bytes.length - start);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
