package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.microvms.lifecycle.LifecycleSettings;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The logs route on a real burrowd and real QEMU microVMs: the ring across suspend and resume, and a console flood. */
class ConsoleLogsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A short memory tier: a suspended microVM reaches the disk tier (no VMM, no VMM directory) within the test. */
    private static final Duration MEMORY_TIER = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long RING_BYTES = 1L << 20;
    private static TestDaemon daemon;
    private static Path dataDir;
    private static String base;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("logs", c -> c.withLifecycle(LifecycleSettings.DEFAULTS.withMemoryTier(MEMORY_TIER)));
        dataDir = daemon.dataDir;
        base = daemon.base;
        key = daemon.key;
        daemon.buildBusybox("bb");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        return daemon.send(method, path, body);
    }

    private static String field(String path, String name) {
        try {
            return JSON.readTree(send("GET", path, HttpRequest.BodyPublishers.noBody()).body()).path(name).asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier condition, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static String run(String body) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString(body));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }

    private static void shell(String id, String script) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/microvms/" + id + "/exec",
                HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(java.util.Map.of("cmd", List.of("sh", "-c", script)))));
        assertThat(ExecOutput.parse(r.body()).exit()).as(r.body()).isZero();
    }

    private static String logs(String id) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/microvms/" + id + "/logs", HttpRequest.BodyPublishers.noBody());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    @Test
    void aFollowerSeesEachLineOnceAcrossAnIdleSuspendAndAResumeAndIsToldWhenTheMicroVmEnds() throws Exception {
        // autoResume: a data-plane call would resume it; reading logs must not
        String id = run("{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":2,\"autoResume\":true}}");
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + id + "/logs?follow=true&format=ndjson"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.isEmpty()) {
                        lines.add(JSON.readTree(line));
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        shell(id, "echo before-the-suspend > /dev/console");
        // a follower reading all along is no activity: the microVM still suspends when idle, and reaches the disk tier
        await(() -> field("/v1/microvms/" + id, "state").equals("SUSPENDED"), Duration.ofSeconds(2 + 5 + 10), "the idle suspend");
        await(() -> diskTier(id), WAIT, "the disk tier");
        assertThat(dataDir.resolve("vms").resolve(id)).doesNotExist();
        assertThat(logs(id)).as("the ring kept with the save").contains("before-the-suspend");
        assertThat(field("/v1/microvms/" + id, "state")).as("reading logs resumes nothing").isEqualTo("SUSPENDED");
        assertThat(send("POST", "/v1/microvms/" + id + "/resume", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(200);
        shell(id, "echo after-the-resume > /dev/console");
        String text = logs(id);
        assertThat(text.indexOf("before-the-suspend")).as("a resume appends to the same ring").isLessThan(text.indexOf("after-the-resume"));
        await(() -> String.join("", texts(lines)).contains("after-the-resume"), WAIT, "the follower to see the resumed output");
        send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody());
        reader.join(WAIT.toMillis());
        assertThat(reader.isAlive()).as("the follow ended with the microVM").isFalse();
        for (JsonNode n : lines) {
            assertThat(CONTRACT.validateFrame("log-line", n)).as("log line %s", n).isEmpty();
        }
        String all = String.join("", texts(lines));
        assertThat(all.split("before-the-suspend", -1)).as("seen once").hasSize(2);
        assertThat(all.split("after-the-resume", -1)).as("seen once").hasSize(2);
        JsonNode last = lines.getLast();
        assertThat(last.get("stream").asText()).isEqualTo("burrow");
        assertThat(last.get("state").asText()).isEqualTo("TERMINATED");
    }

    private static boolean diskTier(String id) {
        try {
            return JSON.readTree(send("GET", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody()).body())
                    .path("suspension").path("tier").asText().equals("disk");
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> texts(List<JsonNode> lines) {
        synchronized (lines) {
            return lines.stream().filter(n -> n.get("stream").asText().equals("console")).map(n -> n.get("text").asText()).toList();
        }
    }

    @Test
    @Tag("hostile")
    void aGuestFloodingItsConsoleKeepsTheRingAtOneMibAndAFollowerThatNeverReadsCostsBurrowdNoMemory() throws Exception {
        String id = run("{\"image\":\"bb\"}");
        long rssBefore = rssKiB();
        long heapBefore = heapUsedAfterGc();
        // the flood runs in the background of the guest: the exec returns, the printing goes on
        shell(id, "(yes flooding-the-console-flooding-the-console > /dev/console) </dev/null >/dev/null 2>&1 &");
        try (Socket stuck = new Socket("127.0.0.1", daemon.port())) {
            stuck.setReceiveBufferSize(4096);
            stuck.getOutputStream().write(("GET /v1/microvms/" + id + "/logs?follow=true HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // a reader that does read, from the ring's start: once it has more than the ring holds, the ring has rotated
            long t0 = System.nanoTime();
            long read = 0;
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + id + "/logs?follow=true"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                byte[] buf = new byte[65536];
                while (read < RING_BYTES + RING_BYTES / 4) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    read += n;
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long ring = ringBytes(id);
            long rssAfter = rssKiB();
            long heapAfter = heapUsedAfterGc();
            System.out.printf("console flood: a follower read %d KiB in %.1f s (%.0f KiB/s); ring on disk %d KiB; "
                            + "burrowd RSS %d -> %d MiB, heap after GC %d -> %d MiB, with one follower that never reads%n",
                    read >> 10, seconds, (read >> 10) / seconds, ring >> 10, rssBefore >> 10, rssAfter >> 10, heapBefore >> 20, heapAfter >> 20);
            assertThat(ring).isLessThanOrEqualTo(RING_BYTES);
            assertThat(heapAfter - heapBefore).as("heap growth").isLessThan(32L << 20);
        }
        send("DELETE", "/v1/microvms/" + id, HttpRequest.BodyPublishers.noBody());
    }

    private static long ringBytes(String id) throws Exception {
        long n = 0;
        for (String f : List.of("console.log", "console.log.1")) {
            Path p = dataDir.resolve("vms").resolve(id).resolve(f);
            n += Files.exists(p) ? Files.size(p) : 0;
        }
        return n;
    }

    private static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long heapUsedAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
