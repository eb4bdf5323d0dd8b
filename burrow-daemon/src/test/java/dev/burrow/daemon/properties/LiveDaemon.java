package dev.burrow.daemon.properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.Burrowd;
import dev.burrow.daemon.DaemonConfig;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.daemon.properties.ApiRequest.Existing;
import dev.burrow.daemon.properties.ApiRequest.Literal;
import dev.burrow.daemon.properties.ApiRequest.PathValue;
import dev.burrow.daemon.properties.OpenApiOperations.BodyKind;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.kernel.KernelCache;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real burrowd in this JVM on an ephemeral port with a temp data directory, and its fixture:
 * one READY busybox image (built once from an OCI archive upload), one RUNNING microVM, one
 * TERMINATED microVM, an upload of garbage (builds from it fail fast), a second tenant and key.
 * {@link #send} makes a generated request concrete and sends it with bounded waits and reads;
 * {@link #repair} puts the fixture back after a request changed it and ends every other microVM.
 */
public final class LiveDaemon implements AutoCloseable {

    /** Path segments sent as they are (valid escapes that ask the router about ambiguity), not percent-encoded again. */
    private static final Set<String> RAW_SEGMENTS = Set.of("%2e%2e", "..%2f");
    private static final String IMAGE = "bb";
    private static final String OTHER_TENANT = "other";
    private static final Set<String> ENDED = Set.of("TERMINATED", "FAILED");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dataDir;
    private final Burrowd daemon;
    private final String base;
    private final String adminKey;
    private final BoundedReads reads = new BoundedReads();
    private final HttpClient http = BoundedReads.newClient();
    private final AtomicInteger serial = new AtomicInteger();
    /** Execs started for requests that name a running exec; ended by {@link #repair}. */
    private final List<InputStream> openExecs = new CopyOnWriteArrayList<>();
    private final List<String> openExecIds = new CopyOnWriteArrayList<>();
    private String otherKey;
    private String fixtureVm;
    private String terminatedVm;
    private String garbageUpload;
    private Path garbageFile;

    private LiveDaemon(Path dataDir) throws Exception {
        this.dataDir = dataDir;
        this.daemon = Burrowd.start(DaemonConfig.fromEnvironment(Map.of(
                "BURROW_DATA_DIR", dataDir.toString(),
                "BURROW_CACHE_DIR", KernelCache.cacheDirFromEnvironment().toString(),
                "BURROW_LISTEN", "127.0.0.1:0")));
        this.base = "http://127.0.0.1:" + daemon.port();
        this.adminKey = Files.readString(dataDir.resolve("admin.key")).strip();
    }

    /** Starts the daemon and builds the fixture (one image build: 10–40 s under TCG). */
    public static LiveDaemon start() throws Exception {
        LiveDaemon d = new LiveDaemon(Files.createTempDirectory("burrowd-prop-"));
        try {
            d.buildFixture();
            return d;
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
    }

    private void buildFixture() throws Exception {
        try (Database db = Database.open(dataDir.resolve("burrow.db"))) {
            String tenant = new Tenants(db).create(OTHER_TENANT, null).orElseThrow().id();
            otherKey = new ApiKeys(db).create(tenant, false);
        }
        Path layout = BuiltinImages.busybox(dataDir.resolve("fixture-layout"));
        Path archive = dataDir.resolve("fixture.tar");
        OciLayoutWriter.toArchive(layout, archive);
        String upload = admin("POST", "/v1/uploads", Files.readAllBytes(archive), 201).get("uploadId").asText();
        admin("POST", "/v1/images", ("{\"name\":\"" + IMAGE + "\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + upload
                + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}").getBytes(StandardCharsets.UTF_8), 202);
        awaitBuild(IMAGE);
        garbageUpload = admin("POST", "/v1/uploads", "this is not an image archive".getBytes(StandardCharsets.UTF_8), 201).get("uploadId").asText();
        garbageFile = dataDir.resolve("garbage.bin");
        Files.writeString(garbageFile, "this is not an image archive either");
        fixtureVm = runVm();
        terminatedVm = runVm();
        admin("DELETE", "/v1/microvms/" + terminatedVm, null, 202);
    }

    public Requests.Fixture fixture() {
        return new Requests.Fixture(IMAGE, garbageUpload, garbageFile.toString(), OTHER_TENANT);
    }

    // ---- sending ----

    /** Sends {@code r} (creating what its path values stand for) and reads the answer within the deadlines of {@link Settings}. */
    public Exchange send(ApiRequest r, boolean openEnded) throws Exception {
        StringBuilder path = new StringBuilder();
        for (String segment : r.op().template().split("/", -1)) {
            if (segment.startsWith("{") && segment.endsWith("}")) {
                PathValue v = r.path().get(segment.substring(1, segment.length() - 1));
                segment = v instanceof Existing e ? resolve(e) : encodeSegment(((Literal) v).value());
            }
            path.append(path.isEmpty() && segment.isEmpty() ? "" : "/").append(segment);
        }
        String concrete = path.toString();
        StringBuilder uri = new StringBuilder(base).append(concrete);
        char sep = '?';
        for (Map.Entry<String, List<String>> q : r.query().entrySet()) {
            for (String v : q.getValue()) {
                uri.append(sep).append(encode(q.getKey())).append('=').append(encode(v));
                sep = '&';
            }
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(Settings.ANSWER_DEADLINE)
                .method(r.op().method(), r.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(r.body()));
        switch (r.auth()) {
            case ADMIN -> b.header("Authorization", "Bearer " + adminKey);
            case OTHER_TENANT -> b.header("Authorization", "Bearer " + otherKey);
            case WRONG_KEY -> b.header("Authorization", "Bearer bk_not-a-key");
            case NONE -> { }
        }
        r.headers().forEach(b::header);
        if (r.body() != null) {
            b.header("Content-Type", r.op().body() == BodyKind.JSON ? "application/json" : "application/octet-stream");
        }
        // a connection of its own, so no request meets a connection an earlier one left in a bad state
        try (HttpClient own = BoundedReads.newClient()) {
            return reads.exchange(own, b.build(), concrete, openEnded);
        } catch (IOException e) {
            return new Exchange(concrete, -1, null, new byte[0], false, false, e.toString());
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodeSegment(String s) {
        return RAW_SEGMENTS.contains(s) ? s : encode(s);
    }

    /** Makes an existing-resource placeholder concrete: picks the fixture's or creates a fresh one. */
    private String resolve(Existing e) throws Exception {
        return switch (e.kind()) {
            case FIXTURE_VM -> fixtureVm;
            case FRESH_VM -> runVm();
            case SUSPENDED_VM -> {
                String id = runVm();
                admin("POST", "/v1/microvms/" + id + "/suspend", null, 200);
                yield id;
            }
            case TERMINATED_VM -> terminatedVm;
            case IMAGE -> IMAGE;
            case SCRATCH_IMAGE -> {
                String name = "scratch" + serial.incrementAndGet();
                // an upload of its own: a generated POST /v1/system/prune collects one a finished build consumed
                String scratchUpload = admin("POST", "/v1/uploads", "this is not an image archive".getBytes(StandardCharsets.UTF_8), 201)
                        .get("uploadId").asText();
                admin("POST", "/v1/images", ("{\"name\":\"" + name + "\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + scratchUpload
                        + "\",\"format\":\"oci-archive\"}}").getBytes(StandardCharsets.UTF_8), 202);
                yield name;
            }
            case VERSION -> "1";
            case OWN_TENANT -> Tenants.ADMIN;
            case OTHER_TENANT -> OTHER_TENANT;
            case SPARE_TENANT -> {
                String name = "spare" + serial.incrementAndGet();
                try (Database db = Database.open(dataDir.resolve("burrow.db"))) {
                    new Tenants(db).create(name, null).orElseThrow();
                }
                yield name;
            }
            case RUNNING_EXEC -> startStreamingExec();
            case SPARE_KEY -> {
                try (Database db = Database.open(dataDir.resolve("burrow.db"))) {
                    String tenant = new Tenants(db).byName(OTHER_TENANT).orElseThrow().id();
                    yield new ApiKeys(db).issue(tenant, false).info().id();
                }
            }
        };
    }

    /** Starts {@code cat} with stdin streamed in the fixture microVM and answers its exec id; {@link #repair} ends it. */
    private String startStreamingExec() throws Exception {
        HttpRequest start = HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + fixtureVm + "/exec")).timeout(Settings.ANSWER_DEADLINE)
                .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"cmd\":[\"cat\"],\"stdinMode\":\"stream\"}")).build();
        HttpResponse<InputStream> response = http.send(start, HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = response.body();
        openExecs.add(in);
        try (BoundedReads.Deadline ignored = reads.closeAfter(in, Settings.ANSWER_DEADLINE)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
                line.write(c);
            }
            JsonNode started = JSON.readTree(line.toByteArray()).path("started");
            if (response.statusCode() != 200 || !started.has("execId")) {
                throw new IllegalStateException("fixture exec answered " + response.statusCode() + ": " + line);
            }
            String execId = started.get("execId").asText();
            openExecIds.add(execId);
            return execId;
        }
    }

    // ---- fixture upkeep ----

    /** Ends every microVM but the fixture's, and brings the fixture microVM back to RUNNING (resumed, or a new one). */
    public void repair() throws Exception {
        for (String execId : openExecIds) {
            raw("POST", "/v1/microvms/" + fixtureVm + "/execs/" + execId + "/signal", "{\"signal\":\"KILL\"}".getBytes(StandardCharsets.UTF_8));
        }
        openExecIds.clear();
        openExecs.forEach(BoundedReads::closeQuietly);
        openExecs.clear();
        for (JsonNode vm : admin("GET", "/v1/microvms?limit=500", null, 200).path("items")) {
            String id = vm.path("id").asText();
            if (!id.equals(fixtureVm) && !id.equals(terminatedVm) && !ENDED.contains(vm.path("state").asText())) {
                admin("DELETE", "/v1/microvms/" + id, null, 202);
            }
        }
        String state = admin("GET", "/v1/microvms/" + fixtureVm, null, 200).path("state").asText();
        if (state.equals("SUSPENDED")) {
            admin("POST", "/v1/microvms/" + fixtureVm + "/resume", null, 200);
        } else if (!state.equals("RUNNING")) {
            fixtureVm = runVm();
        }
    }

    private String runVm() throws Exception {
        return admin("POST", "/v1/microvms", ("{\"image\":\"" + IMAGE + "\"}").getBytes(StandardCharsets.UTF_8), 201).get("id").asText();
    }

    /** Waits for the build of version 1 of {@code image} to end, reading the events stream (no polling). */
    private void awaitBuild(String image) throws Exception {
        String ref = image + ":1";
        HttpRequest events = HttpRequest.newBuilder(URI.create(base + "/v1/events?since=0&follow=true"))
                .header("Authorization", "Bearer " + adminKey).build();
        HttpResponse<InputStream> response = http.send(events, HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = response.body();
        String state = null;
        try (BoundedReads.Deadline ignored = reads.closeAfter(in, Settings.FIXTURE_DEADLINE); var lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null && state == null; line = lines.readLine()) {
                JsonNode e = line.isBlank() ? null : JSON.readTree(line);
                if (e != null && ref.equals(e.path("id").asText()) && Set.of("READY", "FAILED").contains(e.path("to").asText())) {
                    state = e.path("to").asText();
                }
            }
        } catch (IOException closedAtDeadline) {
            // state stays null
        }
        if (!"READY".equals(state)) {
            throw new IllegalStateException(ref + " did not become READY within " + Settings.FIXTURE_DEADLINE + " (" + state + "); build log: "
                    + new String(raw("GET", "/v1/images/" + image + "/versions/1/logs", null).body(), StandardCharsets.UTF_8));
        }
    }

    /** A fixture call with the admin key that must answer {@code status}. */
    private JsonNode admin(String method, String path, byte[] body, int status) throws Exception {
        Exchange x = raw(method, path, body);
        if (x.status() != status) {
            throw new IllegalStateException("fixture call " + method + " " + path + " answered " + x.status() + " instead of " + status + ": "
                    + new String(x.body(), StandardCharsets.UTF_8));
        }
        return x.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(x.body());
    }

    private Exchange raw(String method, String path, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Settings.ANSWER_DEADLINE)
                .header("Authorization", "Bearer " + adminKey)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return reads.exchange(http, b.build(), path, false);
    }

    /** Ends every microVM the test created, stops the daemon and removes its directories. */
    @Override
    public void close() {
        try {
            for (JsonNode vm : admin("GET", "/v1/microvms?limit=500", null, 200).path("items")) {
                if (!ENDED.contains(vm.path("state").asText())) {
                    raw("DELETE", "/v1/microvms/" + vm.path("id").asText(), null);
                }
            }
        } catch (Exception e) {
            System.err.println("could not end every microVM of the property test: " + e);
        } finally {
            daemon.close();
            reads.close();
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
        }
    }
}
