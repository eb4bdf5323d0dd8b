package dev.burrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.Burrowd;
import dev.burrow.daemon.DaemonConfig;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.kernel.KernelCache;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An in-process burrowd on a temporary data directory and a free loopback port, with the
 * busybox image (Debian's {@code busybox-static}) built as {@code bb} and READY: the Burrow side
 * of the daemon and side-by-side benchmarks, driven over HTTP as a client would.
 */
final class BusyboxDaemon implements AutoCloseable {

    /** The image's name in the benchmark daemon. */
    static final String IMAGE = "bb";
    /** The microVM size every daemon figure uses. */
    static final int MEMORY_MIB = 512;
    static final int DISK_MIB = 1024;
    /** The longest one request, one image build or one termination may take before the benchmark gives up. */
    private static final Duration T = Duration.ofSeconds(120);
    private static final Duration BUILD = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofMillis(100);
    /** How often a wait for standbys looks at GET /metrics (a refill under TCG takes a few hundred ms). */
    private static final Duration POLL_STANDBY = Duration.ofMillis(20);
    /** The run response's header that says how the microVM started. */
    static final String START_HEADER = "Burrow-Start";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How deep under the data directory a version's template manifest lies (tenants/<id>/images/<name>/<n>/template/). */
    private static final int TEMPLATE_DEPTH = 8;

    private final Path dataDir;
    private final Burrowd daemon;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(T).build();
    private final String base;
    private final String key;

    private BusyboxDaemon(Path dataDir, Burrowd daemon) throws Exception {
        this.dataDir = dataDir;
        this.daemon = daemon;
        this.base = "http://127.0.0.1:" + daemon.port();
        this.key = Files.readString(dataDir.resolve("admin.key")).strip();
    }

    /** Starts burrowd and builds the busybox image; everything is removed again if that fails. */
    static BusyboxDaemon start(String prefix) throws Exception {
        Path dataDir = Files.createTempDirectory(prefix);
        Burrowd d = Burrowd.start(new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1));
        BusyboxDaemon side = new BusyboxDaemon(dataDir, d);
        try {
            Path layout = BuiltinImages.busybox(dataDir.resolve("bench-layout"));
            side.call("POST", "/v1/images", Map.of("name", IMAGE, "source", Map.of("type", "path", "path", layout.toString(), "format",
                    "oci-layout"), "resources", Map.of("memoryMiB", MEMORY_MIB, "diskMiB", DISK_MIB)));
            side.awaitState("/v1/images/" + IMAGE + "/versions/1", "READY", "FAILED", BUILD);
            return side;
        } catch (Exception e) {
            side.close();
            throw e;
        }
    }

    /** The engine the daemon runs its microVMs on (benchmarks restore beside it, like for like). */
    QemuHypervisor engine() {
        return daemon.engine();
    }

    /** The template the image's version 1 runs from: the daemon's own files, read as the engine reads them. */
    Template template() throws IOException {
        Path manifest = Path.of("images", IMAGE, "1", "template", Template.MANIFEST);
        try (Stream<Path> files = Files.walk(dataDir, TEMPLATE_DEPTH)) {
            Path found = files.filter(p -> p.endsWith(manifest)).findFirst()
                    .orElseThrow(() -> new IOException("no template of " + IMAGE + ":1 under " + dataDir));
            return Template.load(found.getParent());
        }
    }

    /** {@code POST /v1/microvms} of the image; the new microVM's id. */
    String create() throws Exception {
        return create(IMAGE).id();
    }

    /** A run: the microVM's id and how it started (the {@code Burrow-Start} header: standby, warm or cold; "?" without one). */
    record Run(String id, String start) {}

    /** {@code POST /v1/microvms} of {@code image}. */
    Run create(String image) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/microvms", Map.of("image", image));
        return new Run(JSON.readTree(r.body()).path("id").asText(), r.headers().firstValue(START_HEADER).orElse("?"));
    }

    /** Builds the busybox layout again as another image (same size), with {@code standby} standbys asked for. */
    void buildImage(String image, int standby) throws Exception {
        Path layout = dataDir.resolve("bench-layout");
        call("POST", "/v1/images", Map.of("name", image, "source", Map.of("type", "path", "path", layout.toString(), "format",
                "oci-layout"), "resources", Map.of("memoryMiB", MEMORY_MIB, "diskMiB", DISK_MIB), "standby", standby));
        awaitState("/v1/images/" + image + "/versions/1", "READY", "FAILED", BUILD);
    }

    /** The standbys ready now, all versions together ({@code burrow_standby_ready} of GET /metrics). */
    int standbyReady() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).timeout(T).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        for (String line : r.body().split("\n")) {
            if (line.startsWith("burrow_standby_ready ")) {
                return (int) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new IllegalStateException("GET /metrics has no burrow_standby_ready: " + r.statusCode());
    }

    /** Waits (off the clock) until at least {@code n} standbys are ready; false when {@code within} passed first. */
    boolean awaitStandbys(int n, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (standbyReady() < n) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(POLL_STANDBY);
        }
        return true;
    }

    /**
     * Runs {@code cmd} in microVM {@code id} through {@code POST …/exec} and returns when the
     * first stdout frame of its stream arrived ({@link System#nanoTime()}); the rest of the stream
     * is read and dropped after that moment.
     */
    long execToFirstStdout(String id, List<String> cmd) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + id + "/exec")).timeout(T)
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("cmd", cmd)))).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            if (r.statusCode() != 200) {
                throw new IllegalStateException("exec in " + id + " -> " + r.statusCode());
            }
            String line;
            while ((line = in.readLine()) != null) {
                if (line.contains("\"stdout\"")) {
                    long at = System.nanoTime();
                    in.transferTo(Writer.nullWriter());
                    return at;
                }
            }
        }
        throw new IllegalStateException("exec " + cmd + " in " + id + " printed nothing");
    }

    /** {@code DELETE /v1/microvms/<id>}, then waits until it is TERMINATED, so the next figure runs on a quiet host. */
    void terminate(String id) throws Exception {
        call("DELETE", "/v1/microvms/" + id, null);
        awaitState("/v1/microvms/" + id, "TERMINATED", "FAILED", T);
    }

    private void awaitState(String path, String wanted, String failed, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            String state = call("GET", path, null).path("state").asText();
            if (state.equals(wanted)) {
                return;
            }
            if (state.equals(failed)) {
                throw new IllegalStateException(path + " is " + state);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(path + " was not " + wanted + " within " + within + " (it is " + state + ")");
            }
            Thread.sleep(POLL);
        }
    }

    private JsonNode call(String method, String path, Object body) throws Exception {
        return JSON.readTree(send(method, path, body).body());
    }

    private HttpResponse<String> send(String method, String path, Object body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(T).header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return r;
    }

    /** Stops burrowd and removes its data directory and run directory. */
    @Override
    public void close() {
        http.close();
        daemon.close();
        FileTrees.deleteQuietly(dataDir);
        FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
    }
}
