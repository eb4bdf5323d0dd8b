package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.logs.JailerRing;
import dev.burrow.daemon.logs.LogSettings;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logs route over a ring written the jailer's way, with a microVM whose state the test sets. */
class LogRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration STALL = Duration.ofSeconds(1);
    private static final long HALF = 512 * 1024;

    @TempDir
    Path dir;

    Database db;
    ApiServer server;
    String key;
    JailerRing ring;
    volatile MicroVmState state = MicroVmState.RUNNING;
    final AtomicInteger finds = new AtomicInteger();
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        ApiKeys keys = new ApiKeys(db);
        key = keys.create(new Tenants(db).create("a", null).orElseThrow().id(), false);
        ring = new JailerRing(dir.resolve("vms/vm1"), HALF);
        server = new ApiServer("127.0.0.1", 0, keys, ApiLimits.DEFAULTS.withTenantCaps(1, 8).withExecWriteStall(STALL));
        new LogRoutes((tenant, id) -> {
            if (!id.equals("vm1")) {
                throw new NotFoundException("no microVM " + id);
            }
            finds.incrementAndGet();
            MicroVmState s = state;
            return new LogRoutes.Console(s, s.terminal() ? "terminated by a request" : null, Optional.of(ring.ring()));
        }, LogSettings.DEFAULTS.withPoll(Duration.ofMillis(20))).register(server);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    private HttpRequest get(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
                .header("Authorization", "Bearer " + key).timeout(WAIT).build();
    }

    private static JsonNode checked(String line) throws Exception {
        JsonNode n = JSON.readTree(line);
        assertThat(CONTRACT.validateFrame("log-line", n)).as("log line %s", line).isEmpty();
        return n;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.onSpinWait();
            Thread.sleep(5);
        }
    }

    @Test
    void theTextLogIsTheOlderHalfThenTheNewerByteForByte() throws Exception {
        byte[] boot = new byte[(int) HALF + 1000]; // one rotation: both halves are read
        for (int i = 0; i < boot.length; i++) {
            boot[i] = (byte) (i % 251); // every byte value but a few: invalid UTF-8 and control bytes included
        }
        ring.write(boot);
        HttpResponse<byte[]> r = http.send(get("/v1/microvms/vm1/logs"), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.body()).isEqualTo(boot);
    }

    @Test
    void ndjsonLinesMatchTheSchemaReplaceInvalidUtf8AndJoinToTheOutput() throws Exception {
        ring.write("[    0.000] Linux version\r\nburrow-agent: ready\n\u001b[1mbold\u001b[0m ".getBytes(StandardCharsets.UTF_8));
        ring.write(new byte[] {(byte) 0xff, 'x', '\n'});
        HttpResponse<String> r = http.send(get("/v1/microvms/vm1/logs?format=ndjson"), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
        StringBuilder joined = new StringBuilder();
        for (String line : r.body().split("\n")) {
            JsonNode n = checked(line);
            assertThat(n.get("stream").asText()).isEqualTo("console");
            joined.append(n.get("text").asText());
        }
        assertThat(r.body()).contains("\\u001B[1mbold").doesNotContain("\u001b");
        assertThat(joined.toString()).isEqualTo("[    0.000] Linux version\r\nburrow-agent: ready\n\u001b[1mbold\u001b[0m \uFFFDx\n");
    }

    @Test
    void aFollowStreamsNewOutputAcrossRotationsAndEndsWithWhyTheMicroVmEnded() throws Exception {
        ring.write("booted\n".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<InputStream> r = http.send(get("/v1/microvms/vm1/logs?format=ndjson&follow=true"), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            lines.add(checked(in.readLine()));
            String big = "y".repeat(1000) + "\n";
            int count = (int) (3 * HALF / big.length()); // three rotations while the follower reads
            Thread writer = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < count; i++) {
                    ring.write(big.getBytes(StandardCharsets.US_ASCII));
                }
                state = MicroVmState.TERMINATED;
            });
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isEmpty()) {
                    lines.add(checked(line));
                }
            }
            writer.join();
            // a line the follower caught half-written goes out in two pieces: the texts joined are the output
            String joined = String.join("", lines.stream().filter(n -> n.get("stream").asText().equals("console"))
                    .map(n -> n.get("text").asText()).toList());
            assertThat(joined.length()).as("nothing skipped").isEqualTo(7 + count * big.length());
            assertThat(joined).isEqualTo("booted\n" + big.repeat(count));
            JsonNode last = lines.getLast();
            assertThat(last.get("stream").asText()).isEqualTo("burrow");
            assertThat(last.get("state").asText()).isEqualTo("TERMINATED");
            assertThat(last.get("text").asText()).isEqualTo("microVM vm1 is TERMINATED: terminated by a request");
        }
    }

    @Test
    void aTextFollowEndsWithABurrowLineAfterAnUnfinishedOne() throws Exception {
        ring.write("login: ".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<InputStream> r = http.send(get("/v1/microvms/vm1/logs?follow=true"), HttpResponse.BodyHandlers.ofInputStream());
        byte[] prompt = r.body().readNBytes("login: ".length());
        assertThat(new String(prompt, StandardCharsets.US_ASCII)).isEqualTo("login: ");
        state = MicroVmState.FAILED;
        assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("\nburrow: microVM vm1 is FAILED: terminated by a request\n");
    }

    @Test
    void aMicroVmThatEndedAnswersItsLastRingAndAFollowEndsAtOnce() throws Exception {
        ring.write("last words\n".getBytes(StandardCharsets.US_ASCII));
        state = MicroVmState.TERMINATED;
        HttpResponse<String> r = http.send(get("/v1/microvms/vm1/logs?follow=true"), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).isEqualTo("last words\nburrow: microVM vm1 is TERMINATED: terminated by a request\n");
    }

    @Test
    void aStoppingDaemonEndsAFollowWithTheReason() throws Exception {
        ring.write("up\n".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<InputStream> r = http.send(get("/v1/microvms/vm1/logs?format=ndjson&follow=true"), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertThat(checked(in.readLine()).get("text").asText()).isEqualTo("up\n");
            Thread closing = Thread.ofVirtual().start(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            JsonNode last = checked(in.readLine());
            assertThat(last.get("stream").asText()).isEqualTo("burrow");
            assertThat(last.get("text").asText()).isEqualTo("burrowd is stopping; follow again to read on");
            assertThat(last.has("state")).isFalse();
            closing.join(WAIT.toMillis());
        }
    }

    @Test
    void badParametersAreBadRequestsNamingThemAndAnotherIdIsNotFound() throws Exception {
        HttpResponse<String> format = http.send(get("/v1/microvms/vm1/logs?format=xml"), HttpResponse.BodyHandlers.ofString());
        assertThat(format.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(format.body()).get("detail").asText()).contains("format must be text or ndjson");
        HttpResponse<String> follow = http.send(get("/v1/microvms/vm1/logs?follow=yes"), HttpResponse.BodyHandlers.ofString());
        assertThat(follow.statusCode()).isEqualTo(400);
        HttpResponse<String> unknown = http.send(get("/v1/microvms/vm1/logs?tail=5"), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(400);
        HttpResponse<String> other = http.send(get("/v1/microvms/vm2/logs"), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
    }

    @Test
    @Tag("hostile")
    void aFollowerThatNeverReadsAFloodIsCutAfterTheStallAndFreesItsStreamSlot() throws Exception {
        byte[] flood = "flood flood flood flood flood flood flood flood\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        Thread writer = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                ring.write(flood);
            }
        });
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setReceiveBufferSize(4096);
            s.getOutputStream().write(("GET /v1/microvms/vm1/logs?follow=true HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nAuthorization: Bearer " + key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // never read. The tenant has one stream slot: the stuck follower holds it until the stall deadline cuts it
            await(() -> finds.get() > 0, "the follower to start");
            HttpResponse<String> refused = http.send(get("/v1/microvms/vm1/logs?follow=true&format=ndjson"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(429);
            writer.interrupt();
            writer.join();
            state = MicroVmState.TERMINATED; // a follower that gets the slot reads the ring and ends
            AtomicReference<HttpResponse<String>> freed = new AtomicReference<>();
            await(() -> {
                try {
                    freed.set(http.send(get("/v1/microvms/vm1/logs?follow=true&format=ndjson"), HttpResponse.BodyHandlers.ofString()));
                    return freed.get().statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            }, "the stuck follower's slot");
            assertThat(freed.get().body()).endsWith("\"state\":\"TERMINATED\"}\n");
        } finally {
            writer.interrupt();
            writer.join();
        }
        assertThat(ring.bytesOnDisk()).isLessThanOrEqualTo(2 * HALF);
    }
}
