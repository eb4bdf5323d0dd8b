package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.microvms.lifecycle.LifecycleSettings;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.kernel.KernelCache;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A real burrowd on an ephemeral port with its own data directory, driven over HTTP like any client. */
class BurrowdTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Path dataDir;
    private static Burrowd daemon;
    private static String base;
    private static String key;
    private static String image = "bb";
    private static final Duration MEMORY_TIER = Duration.ofSeconds(2);

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("burrowd-test-");
        daemon = Burrowd.start(config());
        base = "http://127.0.0.1:" + daemon.port();
        key = Files.readString(dataDir.resolve("admin.key")).strip();
        // a busybox image uploaded as an OCI archive, built once for the class
        Path layout = dataDir.resolve("fixture-layout");
        dev.burrow.daemon.images.builtin.BuiltinImages.busybox(layout);
        Path archive = dataDir.resolve("fixture.tar");
        OciLayoutWriter.toArchive(layout, archive);
        JsonNode up = json(send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(archive), key), 201);
        JsonNode created = json(postValid("/v1/images", "{\"name\":\"bb\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + up.get("uploadId").asText()
                + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024},\"env\":{\"FROM_IMAGE\":\"yes\"}}"), 202);
        assertThat(created.get("state").asText()).isEqualTo("PENDING");
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String state;
        do {
            Thread.sleep(200);
            state = json(get("/v1/images/bb/versions/1"), 200).get("state").asText();
        } while (!state.equals("READY") && !state.equals("FAILED") && System.nanoTime() < deadline);
        assertThat(state).isEqualTo("READY");
    }

    private static DaemonConfig config() {
        // a short memory tier: the tests see both tiers, the kept VMM and its demotion
        return new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1)
                .withLifecycle(LifecycleSettings.DEFAULTS.withMemoryTier(MEMORY_TIER));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            // a failed test may have left microVMs running: they outlive the daemon by design, so end them here
            for (JsonNode vm : JSON.readTree(get("/v1/microvms?limit=500").body()).path("items")) {
                if (!vm.get("state").asText().matches("TERMINATED|FAILED")) {
                    send("DELETE", "/v1/microvms/" + vm.get("id").asText(), HttpRequest.BodyPublishers.noBody(), key);
                }
            }
            daemon.close();
        }
        // every test terminates its microVMs; what is left of the instance is its directories
        dev.burrow.vmm.internal.FileTrees.deleteQuietly(dataDir);
        dev.burrow.vmm.internal.FileTrees.deleteQuietly(Path.of("/run/burrow", dev.burrow.vmm.EngineConfig.instanceIdFor(dataDir)));
    }

    static HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body, String apiKey) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, body);
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts JSON; bodies meant to be valid are first checked against the OpenAPI document too. */
    static HttpResponse<String> post(String path, String body) throws Exception {
        return send("POST", path, HttpRequest.BodyPublishers.ofString(body), key);
    }

    static HttpResponse<String> postValid(String path, String body) throws Exception {
        assertThat(CONTRACT.validateRequest("POST", path, JSON.readTree(body))).as("request %s against openapi.yaml", body).isEmpty();
        return post(path, body);
    }

    static HttpResponse<String> get(String path) throws Exception {
        return send("GET", path, HttpRequest.BodyPublishers.noBody(), key);
    }

    /** Checks the status, the request id, and that the body is what the OpenAPI document says for that call. */
    static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
        JsonNode body = JSON.readTree(r.body());
        String contentType = r.headers().firstValue("Content-Type").orElse("").split(";")[0];
        assertThat(CONTRACT.validateResponse(r.request().method(), r.request().uri().getPath(), r.statusCode(), contentType, body))
                .as("response of %s %s against openapi.yaml", r.request().method(), r.request().uri().getPath()).isEmpty();
        return body;
    }

    private static final dev.burrow.api.ApiContract CONTRACT = dev.burrow.api.ApiContract.get();

    static ExecOutput exec(String id, String body) throws Exception {
        HttpResponse<String> r = postValid("/v1/microvms/" + id + "/exec", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
        ExecOutput e = ExecOutput.parse(r.body());
        for (JsonNode n : e.lines()) {
            assertThat(CONTRACT.validateFrame("exec-frame", n)).as("exec frame %s", n).isEmpty();
        }
        assertThat(e.lines().getFirst().has("started")).isTrue();
        return e;
    }

    static String run() throws Exception {
        JsonNode vm = json(postValid("/v1/microvms", "{\"image\":\"" + image + "\"}"), 201);
        assertThat(vm.get("state").asText()).isEqualTo("RUNNING");
        return vm.get("id").asText();
    }

    @Test
    void theAdminKeyIsWrittenOnceReadableByRootOnly() throws Exception {
        assertThat(Files.getPosixFilePermissions(dataDir.resolve("admin.key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(key).startsWith("bk_");
        assertThat(Files.readAllBytes(dataDir.resolve("burrow.db"))).asString(StandardCharsets.ISO_8859_1).doesNotContain(key);
    }

    @Test
    void aRunMicroVmExecutesCommandsWithExitCodesStdinAndTheImageEnvironment() throws Exception {
        String id = run();
        ExecOutput hi = exec(id, "{\"cmd\":[\"sh\",\"-c\",\"echo $FROM_IMAGE; echo oops >&2\"]}");
        assertThat(hi.stdout()).isEqualTo("yes\n");
        assertThat(hi.stderr()).isEqualTo("oops\n");
        assertThat(hi.exit()).isZero();
        assertThat(exec(id, "{\"cmd\":[\"sh\",\"-c\",\"exit 3\"]}").exit()).isEqualTo(3);
        ExecOutput missing = exec(id, "{\"cmd\":[\"no-such-thing\"]}");
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.stderr()).contains("no-such-thing");
        String stdin = Base64.getEncoder().encodeToString("hi\n".getBytes(StandardCharsets.UTF_8));
        assertThat(exec(id, "{\"cmd\":[\"cat\"],\"stdinMode\":\"once\",\"stdin\":\"" + stdin + "\"}").stdout()).isEqualTo("hi\n");

        JsonNode listed = json(get("/v1/microvms?state=RUNNING"), 200);
        assertThat(listed.get("items").findValuesAsText("id")).contains(id);
        JsonNode gone = json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
        assertThat(gone.get("state").asText()).isEqualTo("TERMINATED");
        assertThat(dataDir.resolve("vms").resolve(id)).doesNotExist();
        assertThat(json(get("/v1/microvms/" + id), 200).get("state").asText()).isEqualTo("TERMINATED");
    }

    @Test
    void badRequestsGetProblemsNamingTheFieldAndCreateNothing() throws Exception {
        JsonNode p = json(post("/v1/microvms", "{\"image\": "), 400);
        assertThat(p.get("detail").asText()).contains("invalid JSON");
        assertThat(p.get("instance").asText()).startsWith("req_");

        p = json(post("/v1/microvms", "{\"image\":\"bb\",\"colour\":\"red\"}"), 400);
        assertThat(p.get("field").asText()).isEqualTo("colour");

        p = json(post("/v1/images", "{\"name\":\"big\",\"source\":{\"type\":\"path\",\"path\":\"/nope\"},\"resources\":{\"memoryMiB\":99999}}"), 400);
        assertThat(p.get("field").asText()).isEqualTo("resources.memoryMiB");
        assertThat(p.get("detail").asText()).contains("128").contains("32768");
        assertThat(get("/v1/images/big").statusCode()).isEqualTo(404);

        p = json(post("/v1/microvms", "{\"image\":\"no-such-image\"}"), 404);
        assertThat(p.get("type").asText()).endsWith("/not-found");

        p = json(send("GET", "/v1/microvms", HttpRequest.BodyPublishers.noBody(), "bk_wrong"), 401);
        assertThat(p.get("status").asInt()).isEqualTo(401);
        assertThat(send("GET", "/healthz", HttpRequest.BodyPublishers.noBody(), null).statusCode()).isEqualTo(200);
    }

    @Test
    @Tag("hostile")
    void badEnvironmentNamesAreRefusedAtRunAndAtExecSoLaterExecsStillWork() throws Exception {
        int before = json(get("/v1/microvms?limit=500"), 200).get("items").size();
        JsonNode p = json(post("/v1/microvms", "{\"image\":\"bb\",\"env\":{\"A=B\":\"x\"}}"), 400);
        assertThat(p.get("field").asText()).isEqualTo("env");
        assertThat(json(get("/v1/microvms?limit=500"), 200).get("items").size()).as("nothing created").isEqualTo(before);

        String id = run();
        for (String env : List.of("{\"\":\"x\"}", "{\"A=B\":\"x\"}", "{\"A\":\"x\\u0000\"}")) {
            json(post("/v1/microvms/" + id + "/exec", "{\"cmd\":[\"true\"],\"env\":" + env + "}"), 400);
        }
        assertThat(exec(id, "{\"cmd\":[\"sh\",\"-c\",\"echo $OK\"],\"env\":{\"OK\":\"fine\"}}").stdout()).isEqualTo("fine\n");
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    @Tag("hostile")
    void aClientThatPausesReadingSlowsTheExecAndLosesNoOutput() throws Exception {
        String id = run();
        int bytes = 4 << 20;
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + id + "/exec"))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"cmd\":[\"head\",\"-c\",\"" + bytes + "\",\"/dev/zero\"]}")).build();
        HttpResponse<InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertThat(in.readLine()).contains("started");
            // the client stops reading for a while (shorter than the write-stall deadline): this pause is the behaviour under test
            Thread.sleep(3_000);
            long got = 0;
            JsonNode last = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                last = JSON.readTree(line);
                if (last.has("stdout")) {
                    got += Base64.getDecoder().decode(last.get("stdout").asText()).length;
                }
            }
            assertThat(got).isEqualTo(bytes);
            assertThat(last.get("exit").asInt()).isZero();
        }
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void aTokenNamesItsScopePortsExpiryAndUrlAndEveryFaultyFieldIsNamedFirst() throws Exception {
        JsonNode p = json(post("/v1/microvms/vmnosuch/tokens",
                "{\"ports\":[0,{\"from\":9,\"to\":8}],\"expiresInSeconds\":5,\"scope\":\"root\"}"), 400);
        assertThat(p.get("errors")).extracting(e -> e.get("field").asText())
                .containsExactlyInAnyOrder("scope", "expiresInSeconds", "ports[0]", "ports[1]");
        json(post("/v1/microvms/vmnosuch/tokens", "{}"), 404);

        String id = run();
        JsonNode t = json(postValid("/v1/microvms/" + id + "/tokens", "{}"), 201);
        assertThat(t.get("scope").asText()).isEqualTo("ingress");
        assertThat(t.get("ports").toString()).as("the version's ingressPort by default").isEqualTo("[8080]");
        assertThat(t.get("url").asText()).startsWith("http://8080-" + id + ".localhost:");
        Instant expires = Instant.parse(t.get("expiresAt").asText());
        assertThat(Duration.between(Instant.now(), expires).toSeconds()).isBetween(890L, 900L);

        t = json(postValid("/v1/microvms/" + id + "/tokens",
                "{\"ports\":[3000,{\"from\":8000,\"to\":8100},\"all\"],\"expiresInSeconds\":60}"), 201);
        assertThat(t.get("ports").toString()).isEqualTo("[3000,{\"from\":8000,\"to\":8100},\"all\"]");
        t = json(postValid("/v1/microvms/" + id + "/tokens", "{\"scope\":\"pty\"}"), 201);
        assertThat(t.get("url").asText()).contains("/shell/" + id + "?token=" + t.get("token").asText());
        p = json(post("/v1/microvms/" + id + "/tokens", "{\"scope\":\"pty\",\"ports\":[22]}"), 400);
        assertThat(p.get("field").asText()).isEqualTo("ports");

        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
        p = json(post("/v1/microvms/" + id + "/tokens", "{}"), 409);
        assertThat(p.get("detail").asText()).contains("TERMINATED");
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyReturnsTheFirstMicroVmInsteadOfASecond() throws Exception {
        String body = "{\"image\":\"bb\",\"labels\":{\"try\":\"idem\"}}";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/microvms")).header("Authorization", "Bearer " + key)
                .header("Idempotency-Key", "run-once-1");
        JsonNode first = json(HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()), 201);
        HttpResponse<String> again = HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json(again, 201).get("id").asText()).isEqualTo(first.get("id").asText());
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(json(get("/v1/microvms?label=try=idem"), 200).get("items")).hasSize(1);
        HttpResponse<String> other = HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"bb\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json(other, 422).get("field").asText()).isEqualTo("Idempotency-Key");
        json(send("DELETE", "/v1/microvms/" + first.get("id").asText(), HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void anInactiveVersionIsNotPickedByARunWithoutAVersion() throws Exception {
        HttpResponse<String> r = send("PATCH", "/v1/images/bb/versions/1", HttpRequest.BodyPublishers.ofString("{\"status\":\"INACTIVE\"}"), key);
        assertThat(json(r, 200).get("status").asText()).isEqualTo("INACTIVE");
        try {
            assertThat(json(post("/v1/microvms", "{\"image\":\"bb\"}"), 409).get("detail").asText()).contains("no READY and ACTIVE version");
        } finally {
            json(send("PATCH", "/v1/images/bb/versions/1", HttpRequest.BodyPublishers.ofString("{\"status\":\"ACTIVE\"}"), key), 200);
        }
    }

    @Test
    void aPublicImageIsListedAsSuchAndPrivateOnesAreNotVisibleToOtherTenants() throws Exception {
        assertThat(json(get("/v1/images/bb"), 200).get("public").asBoolean()).isFalse();
        // a second tenant's key (created through the store: admin endpoints arrive with the isolation work)
        var db = dev.burrow.daemon.store.Database.open(dataDir.resolve("burrow.db"));
        String other;
        try {
            var tenant = new dev.burrow.daemon.store.Tenants(db).create("other", null).orElseThrow();
            other = new dev.burrow.daemon.store.ApiKeys(db).create(tenant.id(), false);
        } finally {
            db.close();
        }
        assertThat(send("GET", "/v1/images/bb", HttpRequest.BodyPublishers.noBody(), other).statusCode()).isEqualTo(404);
        HttpResponse<String> r = send("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString("{\"image\":\"bb\"}"), other);
        assertThat(json(r, 404).get("detail").asText()).contains("no image named bb");
    }

    @Test
    void anImageInUseIsDeletedOnlyWithForceWhichTerminatesItsMicroVms() throws Exception {
        json(postValid("/v1/images", "{\"name\":\"gone\",\"source\":{\"type\":\"path\",\"path\":\"" + dataDir.resolve("fixture-layout")
                + "\",\"format\":\"oci-layout\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}"), 202);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!json(get("/v1/images/gone/versions/1"), 200).get("state").asText().equals("READY") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        String id = json(postValid("/v1/microvms", "{\"image\":\"gone\"}"), 201).get("id").asText();
        JsonNode p = json(send("DELETE", "/v1/images/gone", HttpRequest.BodyPublishers.noBody(), key), 409);
        assertThat(p.get("counts").get("microvms").asInt()).isEqualTo(1);
        assertThat(json(get("/v1/microvms/" + id), 200).get("state").asText()).isEqualTo("RUNNING");

        assertThat(send("DELETE", "/v1/images/gone?force=true", HttpRequest.BodyPublishers.noBody(), key).statusCode()).isEqualTo(204);
        assertThat(json(get("/v1/microvms/" + id), 200).get("state").asText()).isEqualTo("TERMINATED");
        assertThat(get("/v1/images/gone").statusCode()).isEqualTo(404);
        try (var files = Files.walk(dataDir.resolve("tenants"))) {
            assertThat(files.filter(f -> f.toString().contains("/gone"))).isEmpty();
        }
    }

    @Test
    void everyTransitionIsAnEventWithTheRequestIdThatCausedIt() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/microvms")).header("Authorization", "Bearer " + key)
                .header("X-Request-Id", "trace-run-1").POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"bb\"}")).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("X-Request-Id")).contains("trace-run-1");
        String id = json(r, 201).get("id").asText();
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);

        HttpResponse<String> ev = get("/v1/events?since=0");
        assertThat(ev.statusCode()).isEqualTo(200);
        List<String> transitions = new ArrayList<>();
        for (String line : ev.body().split("\n")) {
            JsonNode n = JSON.readTree(line);
            assertThat(CONTRACT.validateFrame("event", n)).as(line).isEmpty();
            if (n.get("id").asText().equals(id)) {
                transitions.add(n.get("from").asText(null) + ">" + n.get("to").asText() + "@" + n.get("requestId").asText(null));
            }
        }
        assertThat(transitions).startsWith("null>PENDING@trace-run-1", "PENDING>RUNNING@trace-run-1");
        // the DELETE sent no X-Request-Id: the server's own id is recorded
        assertThat(transitions).anyMatch(t -> t.startsWith("RUNNING>TERMINATING@req_")).anyMatch(t -> t.startsWith("TERMINATING>TERMINATED@req_"));
        assertThat(ev.body()).contains("\"id\":\"bb:1\"").contains("\"to\":\"READY\"");
    }

    @Test
    void aMicroVmWhoseVmmDiedWhileTheDaemonWasDownIsFailedWithTheReason() throws Exception {
        String id = run();
        long pid = Long.parseLong(Files.readString(dataDir.resolve("vms").resolve(id).resolve("vmm.pid")).trim().split("\\s+")[0]);
        daemon.close();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        daemon = Burrowd.start(config());
        base = "http://127.0.0.1:" + daemon.port();
        JsonNode vm = json(get("/v1/microvms/" + id), 200);
        assertThat(vm.get("state").asText()).isEqualTo("FAILED");
        assertThat(vm.get("stateReason").asText()).contains("VMM was gone when burrowd restarted");
        assertThat(dataDir.resolve("vms").resolve(id)).doesNotExist();
    }

    @Test
    void aSuspendedMicroVmKeepsItsFilesProcessesAndIdentityAndResumesTwice() throws Exception {
        String id = run();
        assertThat(exec(id, "{\"cmd\":[\"sh\",\"-c\",\"sleep 1000 & echo $! > /tmp/bgpid; echo kept > /root/kept\"]}").exit()).isZero();
        String machineId = exec(id, "{\"cmd\":[\"cat\",\"/etc/machine-id\"]}").stdout();

        long pid = Long.parseLong(Files.readString(dataDir.resolve("vms").resolve(id).resolve("vmm.pid")).trim().split("\\s+")[0]);
        JsonNode s = json(send("POST", "/v1/microvms/" + id + "/suspend", HttpRequest.BodyPublishers.noBody(), key), 200);
        assertThat(s.get("state").asText()).isEqualTo("SUSPENDED");
        assertThat(s.get("suspension").get("tier").asText()).isEqualTo("memory");
        JsonNode refused = json(post("/v1/microvms/" + id + "/exec", "{\"cmd\":[\"true\"]}"), 409);
        assertThat(refused.get("detail").asText()).contains("/v1/microvms/" + id + "/resume");
        for (int round = 0; round < 2; round++) {
            assertThat(json(send("POST", "/v1/microvms/" + id + "/resume", HttpRequest.BodyPublishers.noBody(), key), 200).get("state").asText()).isEqualTo("RUNNING");
            assertThat(exec(id, "{\"cmd\":[\"cat\",\"/root/kept\"]}").stdout()).isEqualTo("kept\n");
            assertThat(exec(id, "{\"cmd\":[\"sh\",\"-c\",\"kill -0 $(cat /tmp/bgpid)\"]}").exit()).isZero();
            assertThat(exec(id, "{\"cmd\":[\"cat\",\"/etc/machine-id\"]}").stdout()).isEqualTo(machineId);
            assertThat(exec(id, "{\"cmd\":[\"hostname\"]}").stdout().strip()).isEqualTo(id);
            if (round == 0) {
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("the memory tier resumed the kept VMM").contains(true);
                json(send("POST", "/v1/microvms/" + id + "/suspend", HttpRequest.BodyPublishers.noBody(), key), 200);
                assertThat(awaitTier(id, "disk", MEMORY_TIER.plusSeconds(5))).isEqualTo("disk");
                assertThat(dataDir.resolve("vms").resolve(id)).as("the disk tier: no VMM files").doesNotExist();
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("the disk tier: no VMM process").isFalse();
            }
        }
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
        assertThat(dataDir.resolve("suspended").resolve(id)).doesNotExist();
    }

    @Test
    void theLifetimeCountsWhileSuspendedAndEndsTheMicroVm() throws Exception {
        String id = json(postValid("/v1/microvms", "{\"image\":\"bb\",\"maxDurationSeconds\":3}"), 201).get("id").asText();
        json(send("POST", "/v1/microvms/" + id + "/suspend", HttpRequest.BodyPublishers.noBody(), key), 200);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String state;
        do {
            Thread.sleep(100);
            state = json(get("/v1/microvms/" + id), 200).get("state").asText();
        } while (!state.equals("TERMINATED") && System.nanoTime() < deadline);
        assertThat(state).isEqualTo("TERMINATED");
        assertThat(dataDir.resolve("suspended").resolve(id)).doesNotExist();
    }

    /** Polls the microVM's state until it is {@code want} or the deadline passes; the state it ended with. */
    static String awaitState(String id, String want, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String state;
        do {
            state = json(get("/v1/microvms/" + id), 200).get("state").asText();
            if (state.equals(want)) {
                return state;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return state;
    }

    static String awaitTier(String id, String want, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String tier;
        do {
            tier = json(get("/v1/microvms/" + id), 200).path("suspension").path("tier").asText();
            if (tier.equals(want)) {
                return tier;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return tier;
    }

    static String runWith(String idlePolicy) throws Exception {
        return json(postValid("/v1/microvms", "{\"image\":\"bb\",\"idlePolicy\":" + idlePolicy + "}"), 201).get("id").asText();
    }

    @Test
    void anIdleMicroVmSuspendsWithinMaxIdleSecondsPlusFiveAndTheEventSaysWhy() throws Exception {
        long t0 = System.nanoTime();
        String id = runWith("{\"maxIdleSeconds\":2}");
        assertThat(awaitState(id, "SUSPENDED", Duration.ofSeconds(7))).isEqualTo("SUSPENDED");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThanOrEqualTo(Duration.ofSeconds(2 + 5));
        JsonNode vm = json(get("/v1/microvms/" + id), 200);
        assertThat(vm.get("idlePolicy").get("maxIdleSeconds").asInt()).isEqualTo(2);
        assertThat(vm.get("suspension").get("tier").asText()).isIn("memory", "disk");
        assertThat(get("/v1/events?limit=1000").body()).contains("suspended idle for maxIdleSeconds");
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void aGuestBusyOnTheCpuOrRunningALongExecIsNotIdle() throws Exception {
        String looping = runWith("{\"maxIdleSeconds\":2}");
        String execing = runWith("{\"maxIdleSeconds\":2}");
        assertThat(exec(looping, "{\"cmd\":[\"sh\",\"-c\",\"(while :; do :; done) > /dev/null 2>&1 & echo $! > /tmp/loop\"]}").exit()).isZero();
        Thread longExec = Thread.ofVirtual().start(() -> {
            try {
                exec(execing, "{\"cmd\":[\"sleep\",\"9\"]}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // twice maxIdleSeconds + 5: either would have been suspended by now if it were idle
        assertThat(awaitState(looping, "SUSPENDED", Duration.ofSeconds(8))).isEqualTo("RUNNING");
        assertThat(json(get("/v1/microvms/" + execing), 200).get("state").asText()).isEqualTo("RUNNING");
        longExec.join(20_000);
        assertThat(awaitState(execing, "SUSPENDED", Duration.ofSeconds(2 + 5))).as("idle once its exec ended").isEqualTo("SUSPENDED");
        json(send("DELETE", "/v1/microvms/" + looping, HttpRequest.BodyPublishers.noBody(), key), 202);
        json(send("DELETE", "/v1/microvms/" + execing, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void suspendedSecondsEndsAnIdleSuspendedMicroVm() throws Exception {
        String id = runWith("{\"maxIdleSeconds\":1,\"suspendedSeconds\":2}");
        assertThat(awaitState(id, "SUSPENDED", Duration.ofSeconds(6))).isEqualTo("SUSPENDED");
        assertThat(awaitState(id, "TERMINATED", Duration.ofSeconds(2 + 3))).isEqualTo("TERMINATED");
        assertThat(dataDir.resolve("suspended").resolve(id)).doesNotExist();
    }

    @Test
    void anExecOnASuspendedMicroVmResumesItWithAutoResumeAndIsRefusedWithout() throws Exception {
        String auto = runWith("{\"maxIdleSeconds\":1,\"autoResume\":true}");
        String manual = runWith("{\"maxIdleSeconds\":1}");
        assertThat(exec(auto, "{\"cmd\":[\"sh\",\"-c\",\"echo kept > /root/kept\"]}").exit()).isZero();
        assertThat(awaitState(auto, "SUSPENDED", Duration.ofSeconds(6))).isEqualTo("SUSPENDED");
        assertThat(awaitState(manual, "SUSPENDED", Duration.ofSeconds(6))).isEqualTo("SUSPENDED");
        ExecOutput e = exec(auto, "{\"cmd\":[\"cat\",\"/root/kept\"]}");
        assertThat(e.stdout()).isEqualTo("kept\n");
        assertThat(json(get("/v1/microvms/" + auto), 200).get("state").asText()).isIn("RUNNING", "SUSPENDED");
        JsonNode refused = json(post("/v1/microvms/" + manual + "/exec", "{\"cmd\":[\"true\"]}"), 409);
        assertThat(refused.get("detail").asText()).contains("/v1/microvms/" + manual + "/resume");
        json(send("DELETE", "/v1/microvms/" + auto, HttpRequest.BodyPublishers.noBody(), key), 202);
        json(send("DELETE", "/v1/microvms/" + manual, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void anExecTooLargeForOneFrameIsABadRequestAndTheMicroVmStaysUsable() throws Exception {
        String id = run();
        JsonNode p = json(post("/v1/microvms/" + id + "/exec", "{\"cmd\":[\"true\"],\"user\":\"" + "s".repeat(900 * 1024) + "\"}"), 400);
        assertThat(p.get("field").asText()).isEqualTo("cmd");
        assertThat(p.get("detail").asText()).contains("pass large data on stdin");
        assertThat(exec(id, "{\"cmd\":[\"echo\",\"ok\"]}").stdout()).isEqualTo("ok\n");
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void everyFaultyFieldOfAnImageIsNamedAtOnceBeforeTheUploadIsLookedUp() throws Exception {
        JsonNode p = json(post("/v1/images", "{\"name\":\"Bad!\",\"source\":{\"type\":\"upload\",\"format\":\"zip\"},"
                + "\"resources\":{\"vcpus\":0,\"memoryMiB\":64,\"diskMiB\":1024},\"ingressPort\":0,\"env\":{\"1X\":\"v\"}}"), 400);
        List<String> fields = new ArrayList<>();
        p.get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("name", "source.uploadId", "source.format", "resources.vcpus", "resources.memoryMiB",
                "ingressPort", "env");
    }

    @Test
    void everyFaultyFieldOfAnIdlePolicyIsNamedAtOnceBeforeTheImageIsLookedUp() throws Exception {
        JsonNode p = json(post("/v1/microvms", "{\"image\":\"no-such-image\",\"maxDurationSeconds\":0,"
                + "\"idlePolicy\":{\"maxIdleSeconds\":0,\"suspendedSeconds\":-1,\"autoResume\":\"yes\",\"extra\":1}}"), 400);
        List<String> fields = new ArrayList<>();
        p.get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("maxDurationSeconds", "idlePolicy.maxIdleSeconds", "idlePolicy.suspendedSeconds",
                "idlePolicy.autoResume", "idlePolicy.extra");
    }

    @Test
    void forksRunWithTheSourcesFilesButTheirOwnIdentityAndTheSourceRunsOn() throws Exception {
        String src = json(postValid("/v1/microvms", "{\"image\":\"bb\",\"labels\":{\"team\":\"a\"},\"env\":{\"WHO\":\"src\"}}"), 201)
                .get("id").asText();
        assertThat(exec(src, "{\"cmd\":[\"sh\",\"-c\",\"echo shared > /root/shared\"]}").exit()).isZero();
        JsonNode forks = json(postValid("/v1/microvms/" + src + "/fork", "{\"count\":2}"), 201).get("items");
        assertThat(forks).hasSize(2);
        List<String> ids = new ArrayList<>();
        forks.forEach(f -> ids.add(f.get("id").asText()));
        List<String> entropy = new ArrayList<>();
        for (JsonNode f : forks) {
            String id = f.get("id").asText();
            assertThat(f.get("state").asText()).isEqualTo("RUNNING");
            assertThat(f.get("labels").get("burrow.fork-of").asText()).isEqualTo(src);
            assertThat(f.get("labels").get("team").asText()).isEqualTo("a");
            assertThat(exec(id, "{\"cmd\":[\"cat\",\"/root/shared\"]}").stdout()).isEqualTo("shared\n");
            assertThat(exec(id, "{\"cmd\":[\"sh\",\"-c\",\"echo $WHO\"]}").stdout()).isEqualTo("src\n");
            assertThat(exec(id, "{\"cmd\":[\"hostname\"]}").stdout().strip()).isEqualTo(id);
            entropy.add(exec(id, "{\"cmd\":[\"sh\",\"-c\",\"head -c 32 /dev/urandom | od -An -tx1\"]}").stdout());
        }
        assertThat(entropy.get(0)).as("two forks read different random bytes").isNotEqualTo(entropy.get(1));
        assertThat(exec(ids.get(0), "{\"cmd\":[\"cat\",\"/etc/machine-id\"]}").stdout())
                .isNotEqualTo(exec(ids.get(1), "{\"cmd\":[\"cat\",\"/etc/machine-id\"]}").stdout());
        assertThat(json(get("/v1/microvms/" + src), 200).get("state").asText()).isEqualTo("RUNNING");
        assertThat(exec(src, "{\"cmd\":[\"sh\",\"-c\",\"echo mine > /root/mine; cat /root/shared\"]}").stdout()).isEqualTo("shared\n");
        assertThat(exec(ids.get(0), "{\"cmd\":[\"sh\",\"-c\",\"test -e /root/mine\"]}").exit()).as("forks do not share later writes").isNotZero();
        for (String id : ids) {
            json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
        }
        json(send("DELETE", "/v1/microvms/" + src, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void afterASuspensionTheGuestClockIsWithinOneSecondOfTheHost() throws Exception {
        String id = run();
        json(send("POST", "/v1/microvms/" + id + "/suspend", HttpRequest.BodyPublishers.noBody(), key), 200);
        Thread.sleep(3000); // not a wait for a condition: the time the guest spends asleep is what is tested
        json(send("POST", "/v1/microvms/" + id + "/resume", HttpRequest.BodyPublishers.noBody(), key), 200);
        long before = System.currentTimeMillis();
        double guest = Double.parseDouble(exec(id, "{\"cmd\":[\"date\",\"+%s\"]}").stdout().strip());
        long after = System.currentTimeMillis();
        assertThat(guest * 1000).isBetween(before / 1000 * 1000.0 - 1000, after + 1000.0);
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void aRestartedDaemonAdoptsRunningMicroVms() throws Exception {
        String id = run();
        daemon.close();
        daemon = Burrowd.start(config());
        base = "http://127.0.0.1:" + daemon.port();
        assertThat(json(get("/v1/microvms/" + id), 200).get("state").asText()).isEqualTo("RUNNING");
        assertThat(exec(id, "{\"cmd\":[\"echo\",\"still here\"]}").stdout()).isEqualTo("still here\n");
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }

    @Test
    void aStoppingDaemonEndsAnOpenExecStreamWithTheReason() throws Exception {
        String id = run();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + id + "/exec"))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"cmd\":[\"sleep\",\"600\"]}")).build();
        HttpResponse<InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
        List<JsonNode> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertThat(in.readLine()).contains("started");
            daemon.close();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(JSON.readTree(line));
            }
        } finally {
            daemon = Burrowd.start(config());
            base = "http://127.0.0.1:" + daemon.port();
        }
        assertThat(lines).hasSize(1);
        assertThat(CONTRACT.validateFrame("exec-frame", lines.getFirst())).isEmpty();
        assertThat(lines.getFirst().get("error").get("type").asText()).endsWith("/unavailable");
        assertThat(lines.getFirst().get("error").get("detail").asText()).contains("stopping");
        json(send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody(), key), 202);
    }
}
