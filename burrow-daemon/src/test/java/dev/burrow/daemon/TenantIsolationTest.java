package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.daemon.properties.OpenApiOperations;
import dev.burrow.oci.OciLayoutWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Tenant A against tenant B's resources on a real burrowd (SPEC §3: other tenants' ids answer
 * 404, lists leave them out), walking every operation of the OpenAPI document so that a new route
 * without a tenant check fails here; then B's quotas refusing with 429 quota-exceeded.
 */
@Tag("security")
@Tag("hostile")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantIsolationTest {

    private static final String IMAGE = "bimg";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration CONCURRENT_RUNS = Duration.ofMinutes(3);
    private static final Duration VMM_EXIT = Duration.ofSeconds(10);

    private static TestDaemon daemon;
    private static KeyClient admin;
    private static KeyClient a;
    private static KeyClient b;
    private static String bTenantId;
    private static String bKeyId;
    private static String bUpload;
    private static String aUpload;
    private static String vmB;

    @BeforeAll
    static void twoTenantsAndAMicroVmOfB() throws Exception {
        daemon = TestDaemon.start("isolation");
        admin = new KeyClient(daemon.base, daemon.key);
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"alpha\"}", 201);
        bTenantId = admin.call("POST", "/v1/admin/tenants", "{\"name\":\"beta\"}", 201).get("id").asText();
        a = new KeyClient(daemon.base, admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"alpha\"}", 201).get("key").asText());
        JsonNode bKey = admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"beta\"}", 201);
        bKeyId = bKey.get("id").asText();
        b = new KeyClient(daemon.base, bKey.get("key").asText());
        Path layout = BuiltinImages.busybox(daemon.dataDir.resolve("fixture-layout"));
        Path archive = daemon.dataDir.resolve("fixture.tar");
        OciLayoutWriter.toArchive(layout, archive);
        HttpResponse<String> up = b.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(archive));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        bUpload = TestDaemon.JSON.readTree(up.body()).get("uploadId").asText();
        b.call("POST", "/v1/images", "{\"name\":\"" + IMAGE + "\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + bUpload
                + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}", 202);
        awaitReady(b, "/v1/images/" + IMAGE + "/versions/1");
        vmB = b.call("POST", "/v1/microvms", "{\"image\":\"" + IMAGE + "\",\"labels\":{\"owner\":\"beta\"}}", 201).get("id").asText();
        aUpload = a.call("POST", "/v1/uploads", "alpha's own bytes", 201).get("uploadId").asText();
        b.call("PUT", "/v1/registries/registry.example", "{\"username\":\"bee\",\"password\":\"beta-registry-secret\"}", 200);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            HttpResponse<String> left = b.send("GET", "/v1/microvms?limit=500", (String) null);
            for (JsonNode vm : left.statusCode() == 200 ? TestDaemon.JSON.readTree(left.body()).get("items") : TestDaemon.JSON.createArrayNode()) {
                if (!vm.get("state").asText().matches("TERMINATED|FAILED")) {
                    b.send("DELETE", "/v1/microvms/" + vm.get("id").asText(), (String) null);
                }
            }
            daemon.close();
        }
    }

    @AfterEach
    void unlimitedAgain() throws Exception {
        if (admin.send("GET", "/v1/admin/tenants/beta", (String) null).statusCode() == 404) {
            return; // deleted by the last test
        }
        admin.call("PATCH", "/v1/admin/tenants/beta", "{\"quotas\":{\"microvms\":null,\"vcpus\":null,\"memoryMiB\":null,"
                + "\"suspendedMiB\":null,\"uploadsMiB\":null,\"builds\":null}}", 200);
    }

    // ---- isolation -------------------------------------------------------------------------------

    /** B's ids in every path parameter the document names; a new parameter name fails the walk until it is added here. */
    private static String substitute(String template) {
        Map<String, String> ids = Map.of("{id}", vmB, "{name}", IMAGE, "{v}", "1", "{execId}", "ex0", "{host}", "registry.example",
                "{tenant}", "beta", "{keyId}", bKeyId);
        String path = template;
        for (Map.Entry<String, String> e : ids.entrySet()) {
            path = path.replace(e.getKey(), e.getValue());
        }
        assertThat(path).as("a path parameter TenantIsolationTest does not know: %s", template).doesNotContain("{");
        return path;
    }

    /** A body that passes validation, so only the tenant check can refuse the call. */
    private static String body(OpenApiOperations.Operation op) {
        if (op.body() == OpenApiOperations.BodyKind.NONE) {
            return null;
        }
        if (op.body() == OpenApiOperations.BodyKind.STREAM) {
            return "some bytes";
        }
        return switch (op.method() + " " + op.template()) {
            case "POST /v1/microvms/{id}/fork" -> "{\"count\":1}";
            case "POST /v1/microvms/{id}/exec" -> "{\"cmd\":[\"true\"]}";
            case "POST /v1/microvms/{id}/tokens" -> "{\"ports\":[8080],\"expiresInSeconds\":60}";
            case "POST /v1/microvms/{id}/files/move" -> "{\"from\":\"/tmp/a\",\"to\":\"/tmp/b\"}";
            case "POST /v1/microvms/{id}/execs/{execId}/signal" -> "{\"signal\":\"INT\"}";
            case "PATCH /v1/images/{name}" -> "{\"public\":true}";
            case "PATCH /v1/images/{name}/versions/{v}" -> "{\"status\":\"INACTIVE\"}";
            case "POST /v1/images/{name}/versions" -> "{\"source\":{\"type\":\"upload\",\"uploadId\":\"" + aUpload + "\",\"format\":\"oci-archive\"}}";
            case "PUT /v1/registries/{host}" -> "{\"username\":\"u\",\"password\":\"p\"}";
            case "PATCH /v1/admin/tenants/{tenant}" -> "{\"quotas\":{\"microvms\":0}}";
            case "POST /v1/admin/tenants" -> "{\"name\":\"gamma\"}";
            case "POST /v1/admin/keys" -> "{\"tenant\":\"beta\",\"admin\":false}";
            case "POST /v1/microvms" -> "{\"image\":\"" + IMAGE + "\"}";
            case "POST /v1/images" -> "{\"name\":\"stolen\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + bUpload + "\",\"format\":\"oci-archive\"}}";
            default -> "{}";
        };
    }

    private static String query(OpenApiOperations.Operation op) {
        List<String> q = new ArrayList<>();
        for (OpenApiOperations.Param p : op.in(OpenApiOperations.In.QUERY)) {
            if (p.required()) {
                assertThat(p.name()).as("a required query parameter TenantIsolationTest does not know: %s of %s", p.name(), op).isEqualTo("path");
                q.add("path=/etc/hostname");
            }
        }
        return q.isEmpty() ? "" : "?" + String.join("&", q);
    }

    @Test
    void tenantAGetsNotFoundOrForbiddenFromEveryOperationOnTenantBsResources() throws Exception {
        List<String> walked = new ArrayList<>();
        for (OpenApiOperations.Operation op : OpenApiOperations.load().operations()) {
            if (!op.authenticated()) {
                continue; // /healthz, /readyz, /metrics, the browser terminal's token-checked pages: no tenant speaks there
            }
            String path = substitute(op.template()) + query(op);
            if (op.template().endsWith("/pty")) { // a WebSocket: plain GETs get 426 whoever asks; the handshake must be refused
                assertThat(handshake(a, path)).as("%s as tenant A: a WebSocket handshake", op).isEqualTo(404);
                walked.add(op.toString());
                continue;
            }
            HttpResponse<String> r = a.send(op.method(), path, body(op));
            String what = op + " as tenant A: " + r.statusCode() + " " + r.body();
            if (op.template().equals("/v1/registries/{host}")) {
                // a host names no tenant's resource: A finds no login of its own (404) or stores its own (200, removed
                // again at once); B's login for the same host is checked untouched after the walk
                assertThat(r.statusCode()).as(what).isEqualTo(op.method().equals("PUT") ? 200 : 404);
                if (op.method().equals("PUT")) {
                    a.call("DELETE", path, null, 204);
                }
                assertThat(r.body()).as(what).doesNotContain("bee");
                walked.add(op.toString());
                continue;
            }
            boolean namesB = !op.template().equals(path.replaceAll("\\?.*", "")) || op.template().startsWith("/v1/admin/");
            if (namesB) {
                assertThat(r.statusCode()).as(what).isIn(403, 404);
            } else if (op.method().equals("GET")) {
                assertThat(r.statusCode()).as(what).isLessThan(500); // a list of A's own (judged by the body below)
            } else {
                switch (op.method() + " " + op.template()) {
                    case "POST /v1/uploads" -> assertThat(r.statusCode()).as(what).isEqualTo(201); // A's own bytes
                    case "POST /v1/microvms" -> assertThat(r.statusCode()).as(what).isEqualTo(404);
                    case "POST /v1/images" -> assertThat(r.statusCode()).as(what).isEqualTo(400); // "no upload … (from another tenant)"
                    case "POST /v1/system/prune" -> assertThat(r.statusCode()).as(what).isEqualTo(403); // the data directory is every tenant's: admin only
                    default -> throw new AssertionError("a call without a path parameter TenantIsolationTest does not judge yet: " + op
                            + "; add what tenant A must get from it");
                }
            }
            assertThat(r.body()).as(what).doesNotContain(bTenantId);
            if (op.method().equals("GET") && !namesB) { // a list: none of B's (a refusal may echo the id A sent)
                assertThat(r.body()).as(what).doesNotContain(vmB).doesNotContain(IMAGE).doesNotContain(bUpload);
            }
            walked.add(op.toString());
        }
        assertThat(walked).hasSizeGreaterThan(30);
        assertThat(handshake(b, "/v1/microvms/" + vmB + "/pty")).as("the owner's own handshake").isEqualTo(101);
        // nothing A tried changed anything of B's
        JsonNode vm = b.call("GET", "/v1/microvms/" + vmB, null, 200);
        assertThat(vm.get("state").asText()).isEqualTo("RUNNING");
        JsonNode image = b.call("GET", "/v1/images/" + IMAGE, null, 200);
        assertThat(image.get("public").asBoolean()).isFalse();
        assertThat(b.call("GET", "/v1/images/" + IMAGE + "/versions/1", null, 200).get("status").asText()).isEqualTo("ACTIVE");
        assertThat(b.call("GET", "/v1/microvms?label=" + "burrow.fork-of=" + vmB, null, 200).get("items")).isEmpty();
        a.call("GET", "/v1/images/stolen", null, 404);
        JsonNode login = b.call("GET", "/v1/registries/registry.example", null, 200);
        assertThat(login.get("kind").asText() + " " + login.get("username").asText()).isEqualTo("basic bee");
        assertThat(admin.call("GET", "/v1/admin/tenants/beta", null, 200).get("quotas").get("microvms").isNull()).isTrue();
    }

    @Test
    void tenantAsListsAndEventsLeaveTenantBOut() throws Exception {
        assertThat(a.call("GET", "/v1/microvms?limit=500", null, 200).get("items")).isEmpty();
        assertThat(a.call("GET", "/v1/microvms?label=owner=beta", null, 200).get("items")).isEmpty();
        assertThat(a.call("GET", "/v1/images", null, 200).toString()).doesNotContain(IMAGE);
        String events = a.send("GET", "/v1/events?limit=10000", (String) null).body();
        assertThat(events).doesNotContain(vmB).doesNotContain(IMAGE);
        assertThat(b.send("GET", "/v1/events?limit=10000", (String) null).body()).contains(vmB);
        assertThat(b.call("GET", "/v1/microvms", null, 200).toString()).contains(vmB);
    }

    @Test
    void theIngressEndpointDoesNotTakeAnotherTenantsKeyForBsMicroVm() throws Exception {
        HttpResponse<String> r = a.send("GET", "/proxy/" + vmB + "/", (String) null);
        assertThat(r.statusCode()).as(r.body()).isIn(401, 403, 404);
        String bToken = b.call("POST", "/v1/microvms/" + vmB + "/tokens", "{\"ports\":[8080],\"expiresInSeconds\":60}", 201)
                .get("token").asText();
        HttpResponse<String> guessed = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.base + "/proxy/" + vmB + "/"))
                .header("X-Burrow-Token", "A".repeat(bToken.length())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(guessed.statusCode()).as(guessed.body()).isEqualTo(401);
        a.call("POST", "/v1/microvms/" + vmB + "/tokens", "{\"ports\":[8080],\"expiresInSeconds\":60}", 404);
    }

    @Test
    void aTenantKeyCannotBuildFromAPathOnTheHost() throws Exception {
        JsonNode p = b.call("POST", "/v1/images", "{\"name\":\"hostfile\",\"source\":{\"type\":\"path\",\"path\":\"/etc\",\"format\":\"oci-layout\"}}", 403);
        assertThat(p.get("type").asText()).endsWith("forbidden");
        b.call("GET", "/v1/images/hostfile", null, 404);
    }

    // ---- quotas ----------------------------------------------------------------------------------

    private static void quotas(String json) throws Exception {
        admin.call("PATCH", "/v1/admin/tenants/beta", "{\"quotas\":" + json + "}", 200);
    }

    private static JsonNode refused(KeyClient client, String method, String path, String body, String quota) throws Exception {
        JsonNode p = client.call(method, path, body, 429);
        assertThat(p.get("type").asText()).endsWith("quota-exceeded");
        assertThat(p.get("quota").asText()).isEqualTo(quota);
        assertThat(p.get("detail").asText()).contains(quota).contains("ask an admin");
        return p;
    }

    @Test
    void runsAndForksPastTheMicroVmVcpuAndMemoryQuotasAreRefusedWithTheNumbers() throws Exception {
        JsonNode usage = admin.call("GET", "/v1/admin/tenants/beta", null, 200).get("usage");
        assertThat(usage.get("microvms").asInt()).isEqualTo(1);
        assertThat(usage.get("vcpus").asInt()).isEqualTo(1);
        assertThat(usage.get("memoryMiB").asInt()).isEqualTo(256);
        quotas("{\"microvms\":1}");
        JsonNode p = refused(b, "POST", "/v1/microvms", "{\"image\":\"" + IMAGE + "\"}", "microvms");
        assertThat(List.of(p.get("limit").asInt(), p.get("current").asInt(), p.get("requested").asInt())).containsExactly(1, 1, 1);
        quotas("{\"microvms\":2}");
        p = refused(b, "POST", "/v1/microvms/" + vmB + "/fork", "{\"count\":2}", "microvms");
        assertThat(p.get("requested").asInt()).isEqualTo(2); // a fork of N counts N
        quotas("{\"microvms\":null,\"vcpus\":1}");
        refused(b, "POST", "/v1/microvms", "{\"image\":\"" + IMAGE + "\"}", "vcpus");
        quotas("{\"vcpus\":null,\"memoryMiB\":300}");
        p = refused(b, "POST", "/v1/microvms", "{\"image\":\"" + IMAGE + "\",\"wait\":false}", "memoryMiB");
        assertThat(List.of(p.get("limit").asInt(), p.get("current").asInt(), p.get("requested").asInt())).containsExactly(300, 256, 256);
        assertThat(admin.call("GET", "/v1/admin/tenants/beta", null, 200).get("usage").get("microvms").asInt()).isEqualTo(1); // nothing started
    }

    @Test
    void buildsUploadsAndSuspendsPastTheirQuotasAreRefused() throws Exception {
        quotas("{\"builds\":0}");
        refused(b, "POST", "/v1/images/" + IMAGE + "/versions", "{\"source\":{\"type\":\"upload\",\"uploadId\":\"" + bUpload
                + "\",\"format\":\"oci-archive\"}}", "builds");
        assertThat(b.call("GET", "/v1/images/" + IMAGE + "/versions", null, 200).get("items")).hasSize(1);
        long usedMiB = admin.call("GET", "/v1/admin/tenants/beta", null, 200).get("usage").get("uploadsMiB").asLong();
        assertThat(usedMiB).isPositive();
        quotas("{\"builds\":null,\"uploadsMiB\":" + usedMiB + "}"); // what is left is less than 1 MiB
        byte[] oneMiB = new byte[1 << 20];
        HttpResponse<String> declared = b.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofByteArray(oneMiB));
        assertThat(declared.statusCode()).as(declared.body()).isEqualTo(429); // refused on Content-Length, before the body
        assertThat(declared.body()).contains("uploadsMiB");
        // chunked: cut when it grows past what is left. The 429 leaves while the client is still
        // sending; the server then closes with unread body bytes, and the kernel's reset may reach
        // the client before it reads the answer. Either way nothing past the quota is stored (below).
        try {
            HttpResponse<String> streamed = b.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofInputStream(
                    () -> new ByteArrayInputStream(oneMiB)));
            assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(429);
        } catch (IOException cutBeforeTheAnswerWasRead) {
            assertThat(cutBeforeTheAnswerWasRead).hasMessageContaining("received no bytes");
        }
        assertThat(admin.call("GET", "/v1/admin/tenants/beta", null, 200).get("usage").get("uploadsMiB").asLong()).isEqualTo(usedMiB);
        quotas("{\"uploadsMiB\":null,\"suspendedMiB\":0}");
        refused(b, "POST", "/v1/microvms/" + vmB + "/suspend", null, "suspendedMiB");
        assertThat(b.call("GET", "/v1/microvms/" + vmB, null, 200).get("state").asText()).isEqualTo("RUNNING");
    }

    @Test
    void twoConcurrentRunsAtTheMicroVmEdgeAreNotBothAdmitted() throws Exception {
        quotas("{\"microvms\":2}");
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> runs = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 2; i++) {
                runs.add(pool.submit(() -> {
                    go.await();
                    return b.send("POST", "/v1/microvms", "{\"image\":\"" + IMAGE + "\"}");
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> f : runs) {
                HttpResponse<String> r = f.get(CONCURRENT_RUNS.toSeconds(), TimeUnit.SECONDS);
                statuses.add(r.statusCode());
                if (r.statusCode() == 201) {
                    b.call("DELETE", "/v1/microvms/" + TestDaemon.JSON.readTree(r.body()).get("id").asText(), null, 202);
                }
            }
            assertThat(statuses).containsExactlyInAnyOrder(201, 429);
        }
    }

    /** The status a WebSocket handshake with the client's key gets (101 when it is accepted). */
    private static int handshake(KeyClient client, String path) throws Exception {
        WebSocket.Builder ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + client.key());
        try {
            ws.buildAsync(URI.create(daemon.base.replace("http:", "ws:") + path), new WebSocket.Listener() { })
                    .get(30, TimeUnit.SECONDS).abort();
            return 101;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw e;
        }
    }

    @Test
    void aResumePastTheVcpuQuotaIsRefusedAndTheMicroVmStaysSuspended() throws Exception {
        assertThat(b.call("POST", "/v1/microvms/" + vmB + "/suspend", null, 200).get("state").asText()).isEqualTo("SUSPENDED");
        try {
            JsonNode usage = admin.call("GET", "/v1/admin/tenants/beta", null, 200).get("usage");
            assertThat(usage.get("vcpus").asInt()).isZero(); // a suspended microVM holds none
            assertThat(usage.get("microvms").asInt()).isEqualTo(1);
            assertThat(usage.get("suspendedMiB").asInt()).isPositive();
            quotas("{\"vcpus\":0}");
            JsonNode p = refused(b, "POST", "/v1/microvms/" + vmB + "/resume", null, "vcpus");
            assertThat(List.of(p.get("limit").asInt(), p.get("current").asInt(), p.get("requested").asInt())).containsExactly(0, 0, 1);
            assertThat(b.call("GET", "/v1/microvms/" + vmB, null, 200).get("state").asText()).isEqualTo("SUSPENDED");
            quotas("{\"vcpus\":1}");
        } finally {
            assertThat(b.call("POST", "/v1/microvms/" + vmB + "/resume", null, 200).get("state").asText()).isEqualTo("RUNNING");
        }
    }

    @Test
    @Order(Integer.MAX_VALUE) // it deletes tenant B: the other tests need it
    void forceDeletingTenantBTerminatesItsMicroVmsAndItsKeyStopsWorking() throws Exception {
        JsonNode refusedDelete = admin.call("DELETE", "/v1/admin/tenants/beta", null, 409);
        assertThat(refusedDelete.get("counts").get("microvms").asInt()).isEqualTo(1);
        assertThat(refusedDelete.get("counts").get("images").asInt()).isEqualTo(1);
        String instance = daemon.dataDir.toString();
        admin.call("DELETE", "/v1/admin/tenants/beta?force=true", null, 204);
        b.call("GET", "/v1/microvms", null, 401);
        admin.call("GET", "/v1/admin/tenants/beta", null, 404);
        long deadline = System.nanoTime() + VMM_EXIT.toNanos();
        while (!vmmsOf(vmB).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis()); // the VMM's exit has no event to wait on: poll against the deadline
        }
        assertThat(vmmsOf(vmB)).as("the VMM of %s under %s", vmB, instance).isEmpty();
        assertThat(daemon.dataDir.resolve("tenants").resolve(bTenantId)).doesNotExist();
        assertThat(daemon.dataDir.resolve("uploads").resolve(bUpload)).doesNotExist();
    }

    private static List<String> vmmsOf(String id) {
        return ProcessHandle.allProcesses().map(h -> h.info().commandLine().orElse(""))
                .filter(cmd -> cmd.contains("qemu") && cmd.contains(id)).toList();
    }

    private static void awaitReady(KeyClient client, String path) throws Exception {
        long deadline = System.nanoTime() + TestDaemon.BUILD_DEADLINE.toNanos();
        String state = client.call("GET", path, null, 200).get("state").asText();
        while (!state.matches("READY|FAILED") && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis()); // the build log's follow is no stream yet: poll against the deadline
            state = client.call("GET", path, null, 200).get("state").asText();
        }
        assertThat(state).as(path).isEqualTo("READY");
    }
}
