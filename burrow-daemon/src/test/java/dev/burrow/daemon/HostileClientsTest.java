package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.api.ApiLimits;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.kernel.KernelCache;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real burrowd (no microVM needed) under the attacks of issue 7. For each: the offender gets a
 * clear error, a second tenant's calls keep answering within a second while the abuse goes on,
 * the heap stays bounded, and nothing is left in the uploads directory. Clients play from
 * different loopback addresses (127.0.0.x) as the per-address cap is part of the defence.
 */
@Tag("hostile")
class HostileClientsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final Duration HEADER_DEADLINE = Duration.ofSeconds(2);
    private static final Duration BODY_DEADLINE = Duration.ofSeconds(2);
    /** The connection scan's period plus scheduling slack on a loaded two-core machine. */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final long MAX_UPLOAD = 1 << 20;
    /** What the daemon (and this test's clients) may hold on the heap during an attack. */
    private static final long HEAP_BOUND = 256L << 20;
    private static final String OFFENDER_ADDRESS = "127.0.0.3";
    private static final String BYSTANDER_ADDRESS = "127.0.0.2";

    private static Path dataDir;
    private static Burrowd daemon;
    private static int port;
    private static String offender;
    private static String bystander;
    private static HttpClient bystanderClient;
    private final List<RawHttp> open = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("burrowd-hostile-");
        ApiLimits limits = ApiLimits.DEFAULTS.withDeadlines(HEADER_DEADLINE, BODY_DEADLINE).withMaxUploadBytes(MAX_UPLOAD);
        daemon = Burrowd.start(new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1)
                .withApiLimits(limits));
        port = daemon.port();
        try (Database db = Database.open(dataDir.resolve("burrow.db"))) {
            Tenants tenants = new Tenants(db);
            ApiKeys keys = new ApiKeys(db);
            offender = keys.create(tenants.create("offender", null).orElseThrow().id(), false);
            bystander = keys.create(tenants.create("bystander", null).orElseThrow().id(), false);
        }
        bystanderClient = HttpClient.newBuilder().localAddress(InetAddress.getByName(BYSTANDER_ADDRESS)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        FileTrees.deleteQuietly(dataDir);
        FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
    }

    @AfterEach
    void closeConnections() throws IOException {
        for (RawHttp c : open) {
            c.close();
        }
        open.clear();
    }

    private RawHttp connect(String from) throws IOException {
        RawHttp c = new RawHttp(from, port);
        open.add(c);
        return c;
    }

    private static String host() {
        return "127.0.0.1:" + port;
    }

    private static String get(String path, String key) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer " + key + "\r\n\r\n";
    }

    private static String post(String path, String key, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + body;
    }

    /** The second tenant lists its microVMs; the answer must come within a second. */
    private static void bystanderIsAnswered() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = bystanderClient.send(HttpRequest.newBuilder(URI.create("http://" + host() + "/v1/microvms"))
                .header("Authorization", "Bearer " + bystander).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(ms).as("the second tenant's call took %d ms", ms).isLessThan(1000);
    }

    private static long heapUsedAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** A problem+json error with the request id in the header and in {@code instance}, valid against the schema. */
    private static JsonNode problem(RawHttp.Response r, int status) throws Exception {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("content-type")).startsWith("application/problem+json");
        assertThat(r.header("x-request-id")).isNotBlank();
        JsonNode p = JSON.readTree(r.body());
        assertThat(p.get("instance").asText()).isEqualTo(r.header("x-request-id"));
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(CONTRACT.validateFrame("problem", p)).as(r.body()).isEmpty();
        return p;
    }

    private static List<Path> uploadsLeft() throws IOException {
        Path dir = dataDir.resolve("uploads");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void fiveHundredHeldEventStreamsGetAtMostTheTenantCapAndAnotherTenantIsStillAnswered() throws Exception {
        long before = heapUsedAfterGc();
        int streams = 500;
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < streams; i++) {
            // 250 connections from each of two addresses: under the per-address cap, so the tenant cap is what answers
            RawHttp c = connect(i % 2 == 0 ? OFFENDER_ADDRESS : "127.0.0.4").send(get("/v1/events?follow=true", offender));
            RawHttp.Response r = c.read();
            if (r.status() == 200) {
                accepted++;
            } else {
                JsonNode p = problem(r, 429);
                assertThat(p.get("type").asText()).endsWith("/too-many-requests");
                assertThat(p.get("limit").asInt()).isEqualTo(ApiLimits.DEFAULTS.maxStreamsPerTenant());
                assertThat(p.get("current").asInt()).isEqualTo(ApiLimits.DEFAULTS.maxStreamsPerTenant());
                assertThat(r.header("retry-after")).isEqualTo("1");
                refused++;
            }
        }
        assertThat(accepted).isEqualTo(ApiLimits.DEFAULTS.maxStreamsPerTenant());
        assertThat(refused).isEqualTo(streams - accepted);
        bystanderIsAnswered();
        // the bystander's own stream still opens
        RawHttp mine = connect(BYSTANDER_ADDRESS).send(get("/v1/events?follow=true", bystander));
        assertThat(mine.read().status()).isEqualTo(200);
        long during = heapUsedAfterGc();
        System.out.printf("heap with %d held streams: %d MiB (before %d MiB)%n", accepted, during >> 20, before >> 20);
        assertThat(during).isLessThan(HEAP_BOUND);
    }

    @Test
    void headersTrickledAByteAtATimeAreCutAtTheHeaderDeadline() throws Exception {
        RawHttp c = connect(OFFENDER_ADDRESS).send("GET /v1/microvms HTTP/1.1\r\nHost: " + host() + "\r\n");
        long t0 = System.nanoTime();
        boolean closed = false;
        // one byte every 300 ms: each resets an idle timeout, none completes the headers
        while (!closed && System.nanoTime() - t0 < HEADER_DEADLINE.plus(SLACK).plus(SLACK).toNanos()) {
            try {
                c.send("X");
            } catch (IOException cut) {
                closed = true;
                break;
            }
            closed = c.closedWithin(Duration.ofMillis(300));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(closed).as("cut after %d ms", ms).isTrue();
        assertThat(ms).isGreaterThanOrEqualTo(HEADER_DEADLINE.toMillis() - 100).isLessThan(HEADER_DEADLINE.plus(SLACK).toMillis());
        bystanderIsAnswered();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheHeaderDeadline() throws Exception {
        RawHttp c = connect(OFFENDER_ADDRESS);
        assertThat(c.closedWithin(HEADER_DEADLINE.plus(SLACK))).isTrue();
    }

    @Test
    void aJsonBodyTrickledAByteAtATimeIsAnsweredRequestTimeoutAtTheBodyDeadline() throws Exception {
        String body = "{\"image\":\"nope\"}";
        RawHttp c = connect(OFFENDER_ADDRESS).send("POST /v1/microvms HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer "
                + offender + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
        long t0 = System.nanoTime();
        c.readTimeout(Duration.ofMillis(300));
        RawHttp.Response r = null;
        for (int i = 0; r == null && System.nanoTime() - t0 < BODY_DEADLINE.plus(SLACK).toNanos(); i++) {
            c.send(body.substring(i % body.length(), i % body.length() + 1));
            try {
                r = c.read();
            } catch (SocketTimeoutException notYet) {
                // keep trickling
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r).as("no answer after %d ms", ms).isNotNull();
        problem(r, 408);
        assertThat(ms).isGreaterThanOrEqualTo(BODY_DEADLINE.toMillis() - 100);
        bystanderIsAnswered();
    }

    @Test
    void anUploadTrickledSlowerThanTheMinimumRateIsCutAndLeavesNoFile() throws Exception {
        RawHttp c = connect(OFFENDER_ADDRESS).send("POST /v1/uploads HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer "
                + offender + "\r\nContent-Length: 100000\r\n\r\n");
        long t0 = System.nanoTime();
        c.readTimeout(Duration.ofMillis(300));
        RawHttp.Response r = null;
        while (r == null && System.nanoTime() - t0 < HEADER_DEADLINE.plus(SLACK).plus(SLACK).toNanos()) {
            c.send("x");
            try {
                r = c.read();
            } catch (SocketTimeoutException notYet) {
                // keep trickling
            }
        }
        assertThat(r).isNotNull();
        problem(r, 408);
        bystanderIsAnswered();
        assertThat(uploadsLeft()).isEmpty();
    }

    @Test
    void aRetriedUploadWithTheSameIdempotencyKeyAnswersTheFirstUpload() throws Exception {
        String[] ids = new String[2];
        for (int i = 0; i < 2; i++) {
            String body = "attempt " + i;
            // as the bystander: the offender's held streams from other tests may still count against its cap
            RawHttp c = connect(BYSTANDER_ADDRESS).send("POST /v1/uploads HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer "
                    + bystander + "\r\nIdempotency-Key: upload-retry-1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            RawHttp.Response r = c.read();
            assertThat(r.status()).as(r.body()).isEqualTo(201);
            ids[i] = new ObjectMapper().readTree(r.body()).get("uploadId").asText();
            c.close();
        }
        assertThat(ids[1]).isEqualTo(ids[0]);
        assertThat(uploadsLeft()).containsExactly(dataDir.resolve("uploads").resolve(ids[0]));
        // the other tests here expect an empty uploads directory: this one leaves it so
        Files.delete(dataDir.resolve("uploads").resolve(ids[0]));
    }

    @Test
    void anUploadOverTheLimitByContentLengthIsRefusedBeforeItsBodyIsRead() throws Exception {
        RawHttp c = connect(OFFENDER_ADDRESS).send("POST /v1/uploads HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer "
                + offender + "\r\nContent-Length: " + (MAX_UPLOAD + 1) + "\r\n\r\n");
        // not one body byte sent: the answer cannot have waited for the body
        JsonNode p = problem(c.read(), 413);
        assertThat(p.get("detail").asText()).contains(Long.toString(MAX_UPLOAD));
        assertThat(uploadsLeft()).isEmpty();
    }

    @Test
    void aChunkedUploadThatGrowsOverTheLimitIsCutAndLeavesNoFile() throws Exception {
        RawHttp c = connect(OFFENDER_ADDRESS).send("POST /v1/uploads HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer "
                + offender + "\r\nTransfer-Encoding: chunked\r\n\r\n");
        byte[] chunk = new byte[64 * 1024];
        String size = Integer.toHexString(chunk.length) + "\r\n";
        RawHttp.Response r = null;
        try {
            for (long sent = 0; sent <= MAX_UPLOAD + chunk.length; sent += chunk.length) {
                c.send(size).send(chunk).send("\r\n");
            }
            c.send("0\r\n\r\n");
        } catch (IOException cutWhileSending) {
            // the daemon may close before the client is done; the answer is already on the way
        }
        r = c.read();
        problem(r, 413);
        bystanderIsAnswered();
        assertThat(uploadsLeft()).isEmpty();
    }

    @Test
    void aHostOutsideTheAllowlistIsMisdirectedEvenForReadiness() throws Exception {
        for (String path : List.of("/readyz", "/healthz", "/v1/microvms")) {
            RawHttp c = connect(OFFENDER_ADDRESS).send("GET " + path + " HTTP/1.1\r\nHost: attacker.example:" + port
                    + "\r\nAuthorization: Bearer " + offender + "\r\n\r\n");
            JsonNode p = problem(c.read(), 421);
            assertThat(p.get("type").asText()).endsWith("/misdirected-request");
        }
        for (String good : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "api.localhost:" + port, "x.localhost:" + port)) {
            RawHttp c = connect(OFFENDER_ADDRESS).send("GET /readyz HTTP/1.1\r\nHost: " + good + "\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).as(good + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).doesNotContain(dataDir.toString()).doesNotContain("/tmp");
        }
        RawHttp wrongPort = connect(OFFENDER_ADDRESS).send("GET /readyz HTTP/1.1\r\nHost: localhost:1\r\n\r\n");
        problem(wrongPort.read(), 421);
    }

    @Test
    void threeHundredConnectionsFromOneAddressGetTheCapAndTheRestA429() throws Exception {
        long before = heapUsedAfterGc();
        int cap = ApiLimits.DEFAULTS.maxConnectionsPerAddress();
        List<RawHttp> conns = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            RawHttp c = connect("127.0.0.5");
            conns.add(c);
            try {
                c.send("GET /healthz HTTP/1.1\r\nHost: " + host() + "\r\n\r\n");
            } catch (IOException refusedAlready) {
                // a refused connection: its 429 is still to be read
            }
        }
        // the served ones answer their call; the refused ones got a 429 when they were accepted, and were closed
        int served = 0;
        int refused = 0;
        for (RawHttp c : conns) {
            RawHttp.Response r = c.read();
            if (r.status() == 200) {
                served++;
            } else {
                JsonNode p = problem(r, 429);
                assertThat(p.get("quota").asText()).isEqualTo("connections");
                assertThat(p.get("limit").asInt()).isEqualTo(cap);
                assertThat(c.closedWithin(Duration.ofSeconds(2))).isTrue();
                refused++;
            }
        }
        assertThat(served).isEqualTo(cap);
        assertThat(refused).isEqualTo(300 - cap);
        // a served connection stays usable
        assertThat(conns.getFirst().send(get("/v1/microvms", offender)).read().status()).isEqualTo(200);
        bystanderIsAnswered();
        long during = heapUsedAfterGc();
        System.out.printf("heap with %d connections from one address: %d MiB (before %d MiB)%n", cap, during >> 20, before >> 20);
        assertThat(during).isLessThan(HEAP_BOUND);
    }

    private RawHttp.Response call(String request) throws IOException {
        return connect(OFFENDER_ADDRESS).send(request).read();
    }

    /** A 400 problem naming {@code field} (null: no field), never a 500. */
    private JsonNode badRequest(String request, String field) throws Exception {
        JsonNode p = problem(call(request), 400);
        assertThat(p.get("type").asText()).endsWith("/invalid-request");
        if (field != null) {
            assertThat(p.path("field").asText()).as(p.toString()).isEqualTo(field);
            assertThat(p.path("errors")).as(p.toString()).isNotEmpty();
            assertThat(p.path("errors").get(0).get("field").asText()).isEqualTo(field);
        }
        return p;
    }

    @Test
    void bodiesThatAreNotOneStrictJsonObjectAre400sNot500s() throws Exception {
        for (String path : List.of("/v1/microvms", "/v1/microvms/vmnone/exec", "/v1/images")) {
            for (String body : List.of("null", "[]", "5", "\"x\"", "", "{} {}", "{\"image\":\"a\"} trailing")) {
                badRequest(post(path, offender, body), null);
            }
        }
        badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"image\":\"b\"}"), null);
        badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"maxDurationSeconds\":1.9}"), "maxDurationSeconds");
        badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"maxDurationSeconds\":\"60\"}"), "maxDurationSeconds");
        badRequest(post("/v1/microvms", offender, "{\"image\":5}"), "image");
        badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"env\":{\"A\":7}}"), "env.A");
        badRequest(post("/v1/microvms/vmnone/exec", offender, "{\"cmd\":[\"true\"],\"detach\":\"yes\"}"), "detach");
        badRequest(post("/v1/microvms/vmnone/exec", offender, "{\"cmd\":[\"true\"],\"timeoutSeconds\":2.5}"), "timeoutSeconds");
        bystanderIsAnswered();
    }

    @Test
    void environmentNamesMustBePosixNamesAtRunAndAtExec() throws Exception {
        for (String env : List.of("{\"A=B\":\"x\"}", "{\"\":\"x\"}", "{\"1A\":\"x\"}", "{\"A B\":\"x\"}")) {
            badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"env\":" + env + "}"), "env");
            badRequest(post("/v1/microvms/vmnone/exec", offender, "{\"cmd\":[\"true\"],\"env\":" + env + "}"), "env");
        }
        badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"env\":{\"A\":\"x\\u0000y\"}}"), "env.A");
        badRequest(post("/v1/microvms", offender, "{\"image\":\"a\",\"env\":{\"A\":null}}"), "env.A");
        badRequest(post("/v1/microvms/vmnone/exec", offender, "{\"cmd\":[\"true\", null]}"), "cmd[1]");
    }

    @Test
    void everyFieldErrorOfARequestIsReportedAtOnce() throws Exception {
        JsonNode p = badRequest(post("/v1/microvms", offender, "{\"env\":{\"A=B\":\"1\"},\"labels\":{\"BAD\":\"x\"}}"), "image");
        assertThat(p.get("errors")).extracting(e -> e.get("field").asText()).containsExactly("image", "env", "labels");
    }

    @Test
    void everyQueryParameterIsCheckedBeforeItIsUsed() throws Exception {
        badRequest(get("/v1/microvms?label=x", offender), "label");
        badRequest(get("/v1/microvms?label==", offender), "label");
        badRequest(get("/v1/microvms?label=UPPER=x", offender), "label");
        badRequest(get("/v1/microvms?cursor=%00", offender), "cursor");
        badRequest(get("/v1/microvms?cursor=notone", offender), "cursor");
        badRequest(get("/v1/microvms?state=BOGUS", offender), "state");
        badRequest(get("/v1/microvms?state=RUNNING,", offender), "state");
        badRequest(get("/v1/microvms?limit=0", offender), "limit");
        badRequest(get("/v1/microvms?limit=1.5", offender), "limit");
        badRequest(get("/v1/microvms?limit=1&limit=2", offender), "limit");
        badRequest(get("/v1/microvms?colour=red", offender), "colour");
        badRequest(get("/v1/events?follow=yes", offender), "follow");
        badRequest(get("/v1/events?since=-1", offender), "since");
        badRequest(get("/v1/events?since=%ZZ", offender), null);
        assertThat(call(get("/v1/microvms?state=RUNNING,FAILED&label=a.b/c=d&limit=5", offender)).status()).isEqualTo(200);
    }

    @Test
    void jettysOwnErrorsAreProblemsWithARequestIdToo() throws Exception {
        problem(call("GET /v1/microvms HTTP/1.1\r\nHost: " + host() + "\r\nNo colon here\r\n\r\n"), 400);
        problem(call("GET /v1/microvms HTTP/9.9\r\nHost: " + host() + "\r\n\r\n"), 505);
        problem(call("GET /v1/micro vms HTTP/1.1\r\nHost: " + host() + "\r\n\r\n"), 400);
        problem(call("GET /v1/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: " + host() + "\r\n\r\n"), 414);
        problem(call("GET /v1/microvms HTTP/1.1\r\nHost: " + host() + "\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"), 431);
        RawHttp.Response echoed = call("GET /v1/nothing HTTP/1.1\r\nHost: " + host() + "\r\nX-Request-Id: mine-123\r\n\r\n");
        assertThat(problem(echoed, 404).get("instance").asText()).isEqualTo("mine-123");
    }

    @Test
    void aMethodNotAllowedNamesTheAllowedOnes() throws Exception {
        RawHttp.Response r = call("DELETE /v1/events HTTP/1.1\r\nHost: " + host() + "\r\nAuthorization: Bearer " + offender + "\r\n\r\n");
        problem(r, 405);
        assertThat(r.header("allow")).isEqualTo("GET");
        RawHttp.Response vm = call("PUT /v1/microvms/vm1 HTTP/1.1\r\nHost: " + host() + "\r\nContent-Length: 0\r\n\r\n");
        problem(vm, 405);
        assertThat(vm.header("allow")).isEqualTo("GET, DELETE");
    }
}
