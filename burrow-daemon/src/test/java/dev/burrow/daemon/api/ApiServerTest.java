package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.microvms.HookFailedException;
import dev.burrow.daemon.microvms.RetryableException;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/** The server's own rules, with routes made for the test: per-tenant caps, the MDC, and errors that leak nothing. */
class ApiServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STREAMS = 2;
    private static final int CALLS = 3;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration STALL = Duration.ofSeconds(1);
    private static final int LINE = 16 * 1024;

    @TempDir
    Path dir;

    Database db;
    ApiServer server;
    String keyA;
    String keyB;
    HttpClient http = HttpClient.newHttpClient();
    final CountDownLatch release = new CountDownLatch(1);
    /** One permit per handler that reached its blocking point. */
    final Semaphore entered = new Semaphore(0);
    final Map<String, String> seen = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        ApiKeys keys = new ApiKeys(db);
        keyA = keys.create(tenants.create("a", null).orElseThrow().id(), false);
        keyB = keys.create(tenants.create("b", null).orElseThrow().id(), false);
        server = new ApiServer("127.0.0.1", 0, keys, ApiLimits.DEFAULTS.withTenantCaps(STREAMS, CALLS).withExecWriteStall(STALL));
        server.route("GET", "/v1/block", c -> {
            entered.release();
            release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            c.send(200, Map.of("ok", true));
        });
        server.route("GET", "/v1/stream", c -> {
            c.openStream();
            entered.release();
            release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            c.send(200, Map.of("ok", true));
        });
        server.route("GET", "/v1/things/{id}", c -> {
            seen.put("requestId", String.valueOf(MDC.get("requestId")));
            seen.put("microvm", String.valueOf(MDC.get("microvm")));
            c.send(200, Map.of("ok", true));
        });
        server.route("GET", "/v1/flood", c -> {
            StreamOut out = c.stream();
            String chunk = "x".repeat(LINE);
            long lines = 0;
            long t0 = System.nanoTime();
            try {
                while (true) {
                    out.line(Map.of("stdout", chunk));
                    lines++;
                }
            } catch (StreamOut.Stalled stalled) {
                seen.put("stalledAfterMillis", Long.toString((System.nanoTime() - t0) / 1_000_000));
                seen.put("bytesWritten", Long.toString(lines * LINE));
                seen.put("usable", Boolean.toString(out.usable()));
                entered.release();
                throw stalled;
            }
        });
        server.route("DELETE", "/v1/things/{id}", c -> c.send(200, Map.of()));
        server.route("GET", "/v1/hook-failed", c -> {
            throw new HookFailedException("run", "vm01abc", "the run hook of vm01abc failed (HTTP 500); the microVM was terminated");
        });
        server.route("GET", "/v1/engine/{kind}", c -> {
            throw new EngineFailure(EngineFailure.Kind.valueOf(c.param("kind")), "resuming vm01abc failed: " + c.param("kind"), null);
        });
        server.route("GET", "/v1/busy", c -> {
            throw new RetryableException("microVM vm01abc is busy with another operation", 5);
        });
        server.route("GET", "/v1/boom", c -> {
            throw new IllegalStateException("secret /var/lib/burrow/tenants/x detail");
        });
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        server.close();
        db.close();
    }

    private HttpRequest request(String path, String key) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).header("Authorization", "Bearer " + key)
                .timeout(WAIT).build();
    }

    private HttpResponse<String> send(String path, String key) throws Exception {
        return http.send(request(path, key), HttpResponse.BodyHandlers.ofString());
    }

    private List<CompletableFuture<HttpResponse<String>>> hold(String path, String key, int n) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(http.sendAsync(request(path, key), HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(entered.tryAcquire(n, WAIT.toSeconds(), TimeUnit.SECONDS)).as("%d handlers entered", n).isTrue();
        return held;
    }

    @Test
    void lifecycleFailuresAnswerTypedProblemsNeverAnInternalError() throws Exception {
        HttpResponse<String> hook = send("/v1/hook-failed", keyA);
        assertThat(hook.statusCode()).isEqualTo(422);
        assertThat(hook.body()).contains("problems/run-hook-failed").contains("\"microvmId\":\"vm01abc\"");
        Map<String, Integer> expected = Map.of("VMM_DIED", 502, "TIMEOUT", 504, "INCOMPATIBLE", 409, "IO", 500);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            HttpResponse<String> r = send("/v1/engine/" + e.getKey(), keyA);
            assertThat(r.statusCode()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(r.body()).as(e.getKey()).doesNotContain("problems/internal").contains("resuming vm01abc failed");
        }
        HttpResponse<String> busy = send("/v1/busy", keyA);
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(busy.headers().firstValue("Retry-After")).hasValue("5");
    }

    @Test
    void aTenantPastItsInFlightCapGets429WhileAnotherTenantIsServed() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> held = hold("/v1/block", keyA, CALLS);

        HttpResponse<String> refused = send("/v1/things/x", keyA);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).contains("1");
        JsonNode p = JSON.readTree(refused.body());
        assertThat(p.get("type").asText()).endsWith("/too-many-requests");
        assertThat(p.get("quota").asText()).isEqualTo("in-flight-requests");
        assertThat(p.get("limit").asInt()).isEqualTo(CALLS);
        assertThat(p.get("current").asInt()).isEqualTo(CALLS);
        assertThat(send("/v1/things/x", keyB).statusCode()).isEqualTo(200);

        release.countDown();
        for (CompletableFuture<HttpResponse<String>> f : held) {
            assertThat(f.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(send("/v1/things/x", keyA).statusCode()).as("the slots came back").isEqualTo(200);
    }

    @Test
    void aTenantPastItsStreamCapGets429() throws Exception {
        hold("/v1/stream", keyA, STREAMS);

        HttpResponse<String> refused = send("/v1/stream", keyA);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(refused.body()).get("quota").asText()).isEqualTo("streams");
    }

    @Test
    void theRequestIdAndTheMicroVmAreInTheMdcDuringTheCall() throws Exception {
        HttpResponse<String> r = send("/v1/things/vm123", keyA);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(seen).containsEntry("requestId", r.headers().firstValue("X-Request-Id").orElseThrow())
                .containsEntry("microvm", "vm123");
    }

    @Test
    void anUnexpectedFailureIsA500ProblemThatNamesNoHostPath() throws Exception {
        HttpResponse<String> r = send("/v1/boom", keyA);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(r.body()).doesNotContain("/var/lib").doesNotContain("secret")
                .contains(r.headers().firstValue("X-Request-Id").orElseThrow());
    }

    @Test
    void aMethodNotAllowedListsTheAllowedMethods() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/things/x"))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("GET, DELETE");
    }

    @Test
    void aClientThatStopsReadingStallsTheWriterWhichGivesUpAtTheDeadline() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setReceiveBufferSize(4096);
            s.getOutputStream().write(("GET /v1/flood HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nAuthorization: Bearer "
                    + keyA + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // never read: the writer must block (nothing piles up in the daemon), then give up after the stall deadline
            assertThat(entered.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the writer gave up").isTrue();
        }
        assertThat(Long.parseLong(seen.get("stalledAfterMillis"))).isGreaterThanOrEqualTo(STALL.toMillis());
        // what got out before the stall is what the socket buffers hold, not the unbounded flood
        assertThat(Long.parseLong(seen.get("bytesWritten"))).isLessThan(32L << 20);
        assertThat(seen).containsEntry("usable", "false");
        assertThat(send("/v1/things/x", keyA).statusCode()).as("the server still answers").isEqualTo(200);
    }
}
