package dev.burrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.Burrowd;
import dev.burrow.daemon.DaemonConfig;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.kernel.KernelCache;
import dev.burrow.vmm.net.VethPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An in-process burrowd whose engine has the benchmark network path on, one busybox microVM
 * created through the API with the app running, and an ingress token for its port: the
 * endpoint's route and the same microVM's veth, side by side.
 */
final class DaemonSide implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration T = Duration.ofSeconds(120);
    /** The longest an ingress token lives (SPEC §2): the benchmark is shorter. */
    private static final int TOKEN_SECONDS = 3600;

    private final Path dataDir;
    private final Burrowd daemon;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(T).build();
    private final String base;
    private final String key;
    private String microVmId;
    private String token;
    private VethPath path;

    private DaemonSide(Path dataDir, Burrowd daemon) throws Exception {
        this.dataDir = dataDir;
        this.daemon = daemon;
        this.base = "http://127.0.0.1:" + daemon.port();
        this.key = Files.readString(dataDir.resolve("admin.key")).strip();
    }

    /** Starts burrowd, builds the busybox image, creates the microVM and starts {@code appCommand} in it. */
    static DaemonSide start(List<String> appCommand, int port) throws Exception {
        Path dataDir = Files.createTempDirectory("burrow-bench-netpath-");
        Burrowd d = Burrowd.start(new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1));
        DaemonSide side = new DaemonSide(dataDir, d);
        try {
            d.engine().benchNetwork(true);
            Path layout = BuiltinImages.busybox(dataDir.resolve("bench-layout"));
            side.call("POST", "/v1/images", Map.of("name", "bb", "source", Map.of("type", "path", "path", layout.toString(), "format",
                    "oci-layout"), "resources", Map.of("memoryMiB", 512, "diskMiB", 1024)));
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            String state;
            while (!(state = side.call("GET", "/v1/images/bb/versions/1", null).path("state").asText()).matches("READY|FAILED")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the busybox image was not built within 10 minutes");
                }
                Thread.sleep(200);
            }
            if (state.equals("FAILED")) {
                throw new IllegalStateException("the busybox image failed to build");
            }
            side.microVmId = side.call("POST", "/v1/microvms", Map.of("image", "bb")).path("id").asText();
            side.token = side.call("POST", "/v1/microvms/" + side.microVmId + "/tokens",
                    Map.of("ports", List.of(port), "expiresInSeconds", TOKEN_SECONDS)).path("token").asText();
            side.exec(appCommand);
            side.path = d.engine().network(side.microVmId).orElseThrow(() -> new IllegalStateException("the microVM has no network path"));
            return side;
        } catch (Exception e) {
            side.close();
            throw e;
        }
    }

    VethPath path() {
        return path;
    }

    /** The ingress endpoint, path-based: {@code /proxy/<id>/…} with the token in its header. */
    Route ingressRoute(String name) {
        return Route.tcp(name, "127.0.0.1", daemon.port(), "/proxy/" + microVmId, Map.of("X-Burrow-Token", token));
    }

    /** burrowd's floor for one authenticated request on this machine: {@code GET /v1/microvms/<id>} (API key, one record read). */
    Route apiRoute(String name) {
        return Route.tcp(name, "127.0.0.1", daemon.port(), "/v1/microvms/" + microVmId, Map.of("Authorization", "Bearer " + key));
    }

    private void exec(List<String> cmd) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + microVmId + "/exec")).timeout(T)
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("cmd", cmd)))).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        JsonNode last = null;
        for (String line : r.body().split("\n")) {
            if (!line.isBlank()) {
                last = JSON.readTree(line);
            }
        }
        if (r.statusCode() != 200 || last == null || last.path("exit").asInt(-1) != 0) {
            throw new IllegalStateException("exec " + cmd + " -> " + r.statusCode() + ": " + r.body());
        }
    }

    private JsonNode call(String method, String path, Object body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(T).header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Terminates the microVM (its network path goes with its VMM), stops burrowd, removes its files. */
    @Override
    public void close() throws Exception {
        try {
            if (microVmId != null) {
                call("DELETE", "/v1/microvms/" + microVmId, null);
                long deadline = System.nanoTime() + T.toNanos();
                while (!call("GET", "/v1/microvms/" + microVmId, null).path("state").asText().equals("TERMINATED")
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
            }
        } finally {
            http.close();
            daemon.close();
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
        }
    }
}
