package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.kernel.KernelCache;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A real burrowd in this JVM for one test class: its own temporary data directory (so its own
 * instance id), an ephemeral port, the admin key, JSON calls, and a busybox image built through
 * the API. {@link #close} ends every microVM it still has and removes its data and run
 * directories — nothing is left in /tmp or /run/burrow.
 */
final class TestDaemon implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A busybox image build: a cold boot and a template snapshot under TCG on a loaded machine. */
    static final Duration BUILD_DEADLINE = Duration.ofMinutes(3);
    private static final Duration POLL = Duration.ofMillis(200);

    final Path dataDir;
    private final DaemonConfig config;
    volatile Burrowd daemon;
    volatile String base;
    final String key;

    private TestDaemon(Path dataDir, DaemonConfig config, Burrowd daemon) throws Exception {
        this.dataDir = dataDir;
        this.config = config;
        this.daemon = daemon;
        this.base = "http://127.0.0.1:" + daemon.port();
        this.key = Files.readString(dataDir.resolve("admin.key")).strip();
    }

    /** burrowd stops (its microVMs run on, as after `burrow down`) and starts again on the same data directory, adopting them. */
    void restart() throws Exception {
        daemon.close();
        daemon = Burrowd.start(config);
        base = "http://127.0.0.1:" + daemon.port();
    }

    /** A development-config burrowd (lifecycle minimums of 1 s); {@code config} may adjust it. */
    static TestDaemon start(String name, UnaryOperator<DaemonConfig> config) throws Exception {
        Path dir = Files.createTempDirectory("burrowd-" + name + "-");
        try {
            DaemonConfig c = config.apply(new DaemonConfig(dir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1));
            return new TestDaemon(dir, c, Burrowd.start(c));
        } catch (Exception | Error e) {
            FileTrees.deleteQuietly(dir);
            throw e;
        }
    }

    int port() {
        return daemon.port();
    }

    static TestDaemon start(String name) throws Exception {
        return start(name, c -> c);
    }

    HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .method(method, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A JSON call that must answer {@code status}; {@code body} null sends none. */
    JsonNode call(String method, String path, String body, int status) throws Exception {
        HttpResponse<String> r = send(method, path, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    /** Uploads a busybox OCI archive and builds it as image {@code name} (256 MiB, 1 GiB disk); fails unless READY. */
    void buildBusybox(String name) throws Exception {
        Path layout = dataDir.resolve("fixture-layout");
        BuiltinImages.busybox(layout);
        Path archive = dataDir.resolve("fixture.tar");
        OciLayoutWriter.toArchive(layout, archive);
        HttpResponse<String> up = send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(archive));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        call("POST", "/v1/images", "{\"name\":\"" + name + "\",\"source\":{\"type\":\"upload\",\"uploadId\":\""
                + JSON.readTree(up.body()).get("uploadId").asText() + "\",\"format\":\"oci-archive\"},"
                + "\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}", 202);
        awaitVersion(name, 1, BUILD_DEADLINE);
    }

    /** Waits (polling against a deadline: the build log's follow is not a stream yet) until the version is READY. */
    void awaitVersion(String name, int version, Duration within) throws Exception {
        String path = "/v1/images/" + name + "/versions/" + version;
        long deadline = System.nanoTime() + within.toNanos();
        String state = call("GET", path, null, 200).get("state").asText();
        while (!state.matches("READY|FAILED") && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            state = call("GET", path, null, 200).get("state").asText();
        }
        assertThat(state).as("%s after %s; its log: %s", path, within, send("GET", path + "/logs", HttpRequest.BodyPublishers.noBody()).body())
                .isEqualTo("READY");
    }

    /** Runs a microVM of {@code image} (with the extra JSON members {@code more}, e.g. an idle policy) and returns its id. */
    String run(String image, String more) throws Exception {
        return call("POST", "/v1/microvms", "{\"image\":\"" + image + "\"" + (more.isEmpty() ? "" : "," + more) + "}", 201).get("id").asText();
    }

    @Override
    public void close() throws Exception {
        try {
            // microVMs outlive a daemon by design (adoption): a test's are ended here
            for (JsonNode vm : call("GET", "/v1/microvms?limit=500", null, 200).path("items")) {
                if (!vm.get("state").asText().matches("TERMINATED|FAILED")) {
                    send("DELETE", "/v1/microvms/" + vm.get("id").asText(), HttpRequest.BodyPublishers.noBody());
                }
            }
        } finally {
            daemon.close();
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
        }
    }
}
