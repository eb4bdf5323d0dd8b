package dev.burrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.Burrowd;
import dev.burrow.daemon.DaemonConfig;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.kernel.KernelCache;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The daemon's overhead: time from {@code POST /v1/microvms} to the first byte of an exec's
 * output through the API, over HTTP on loopback, next to the engine-level figure measured the
 * same way in the same run.
 *
 * <pre>./scripts/bench-daemon [--runs 25]</pre>
 */
public final class DaemonBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        int runs = args.length >= 2 && args[0].equals("--runs") ? Integer.parseInt(args[1]) : 25;
        Path dataDir = Files.createTempDirectory("burrow-bench-daemon-");
        Burrowd d = Burrowd.start(new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1));
        try {
            String base = "http://127.0.0.1:" + d.port();
            String key = Files.readString(dataDir.resolve("admin.key")).strip();
            Path layout = BuiltinImages.busybox(dataDir.resolve("bench-layout"));
            call(base, key, "POST", "/v1/images", "{\"name\":\"bb\",\"source\":{\"type\":\"path\",\"path\":\"" + layout
                    + "\",\"format\":\"oci-layout\"},\"resources\":{\"memoryMiB\":512,\"diskMiB\":1024}}");
            while (!call(base, key, "GET", "/v1/images/bb/versions/1", null).get("state").asText().matches("READY|FAILED")) {
                Thread.sleep(200);
            }
            // the engine alone, same kind of template, interleaved with the API runs
            dev.burrow.vmm.testing.EngineFixture engine = dev.burrow.vmm.testing.EngineFixture.create(new dev.burrow.vmm.MachineSpec(1, 512));
            Stats api = new Stats();
            Stats direct = new Stats();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                String id = call(base, key, "POST", "/v1/microvms", "{\"image\":\"bb\"}").get("id").asText();
                firstStdoutLine(base, key, id);
                api.add((System.nanoTime() - t0) / 1e6);
                call(base, key, "DELETE", "/v1/microvms/" + id, null);

                t0 = System.nanoTime();
                try (dev.burrow.vmm.MicroVm vm = engine.restore()) {
                    dev.burrow.vmm.agent.ExecSession s = vm.agent().exec(dev.burrow.vmm.agent.ExecRequest.of("echo", "x"));
                    while (!(s.next(java.time.Duration.ofSeconds(30)) instanceof dev.burrow.vmm.agent.ExecEvent.Stdout)) {
                        // STARTED comes first
                    }
                    direct.add((System.nanoTime() - t0) / 1e6);
                    s.await(java.time.Duration.ofSeconds(30));
                }
            }
            String md = "Daemon benchmark, " + Instant.now() + "\n\n| measurement | result |\n|---|---|\n"
                    + "| POST /v1/microvms to first exec output byte, over HTTP (512 MiB) | " + api.summary() + " |\n"
                    + "| engine restore to first exec output byte, in-process (512 MiB) | " + direct.summary() + " |\n"
                    + String.format("| daemon overhead (p50 difference) | %.1f ms |%n", api.percentile(50) - direct.percentile(50));
            System.out.println("\n" + md);
        } finally {
            d.close();
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
        }
        System.exit(0);
    }

    private static void firstStdoutLine(String base, String key, String id) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/microvms/" + id + "/exec"))
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"cmd\":[\"echo\",\"x\"]}")).build();
        HttpResponse<java.io.InputStream> r = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body()))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.contains("\"stdout\"")) {
                    return;
                }
            }
        }
        throw new IllegalStateException("exec in " + id + " printed nothing");
    }

    private static JsonNode call(String base, String key, String method, String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private DaemonBench() {}
}
