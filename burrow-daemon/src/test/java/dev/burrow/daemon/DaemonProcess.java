package dev.burrow.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.vmm.CrashPoints;
import dev.burrow.vmm.kernel.KernelCache;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * burrowd as its own process (the test's classpath, a data directory kept across restarts), so a
 * test can kill it as {@code kill -9} does — or arm a {@link CrashPoints crash point} — and start
 * it again over the same data, with its VMMs still running.
 */
final class DaemonProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration READY = Duration.ofSeconds(90);

    private final Path dataDir;
    private final Process process;
    /** This process's output (the daemon's log). */
    final Path log;
    final String base;
    final String key;

    private DaemonProcess(Path dataDir, Process process, String base, String key, Path log) {
        this.log = log;
        this.dataDir = dataDir;
        this.process = process;
        this.base = base;
        this.key = key;
    }

    /** Starts burrowd over {@code dataDir} and waits until it answers; {@code crashAt} arms a crash point (null = none). */
    static DaemonProcess start(Path dataDir, String crashAt, Map<String, String> env) throws Exception {
        return start(dataDir, crashAt, env, "512m");
    }

    /** {@link #start(Path, String, Map)} with the JVM's maximum heap ({@code -Xmx}), e.g. 256m to show a transfer is streamed. */
    static DaemonProcess start(Path dataDir, String crashAt, Map<String, String> env, String maxHeap) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError", "-cp",
                System.getProperty("java.class.path"), Burrowd.class.getName());
        pb.environment().put("BURROW_DATA_DIR", dataDir.toString());
        pb.environment().put("BURROW_CACHE_DIR", KernelCache.cacheDirFromEnvironment().toString());
        pb.environment().put("BURROW_LISTEN", "127.0.0.1:" + port);
        pb.environment().remove(CrashPoints.VARIABLE);
        pb.environment().put("BURROW_MANAGED_BASES", "none"); // a test that wants managed bases names them in env
        pb.environment().putAll(env);
        if (crashAt != null) {
            pb.environment().put(CrashPoints.VARIABLE, crashAt);
        }
        Files.createDirectories(dataDir.resolve("test-logs"));
        Path log = dataDir.resolve("test-logs").resolve("burrowd-" + System.nanoTime() + ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        String base = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("burrowd exited with " + p.exitValue() + " while starting; see " + log
                        + ":\n" + tail(log));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // still starting
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("burrowd did not answer within " + READY.toSeconds() + " s; see " + log + ":\n" + tail(log));
            }
            Thread.sleep(50);
        }
        String key = Files.readString(dataDir.resolve("admin.key")).strip();
        return new DaemonProcess(dataDir, p, base, key, log);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(3))
                .header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The call's JSON answer, which must have {@code status}. */
    JsonNode call(String method, String path, String body, int status) throws Exception {
        HttpResponse<String> r = send(method, path, body);
        if (r.statusCode() != status) {
            throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ", expected " + status + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    String state(String id) throws Exception {
        return call("GET", "/v1/microvms/" + id, null, 200).get("state").asText();
    }

    ExecOutput exec(String id, String... cmd) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/microvms/" + id + "/exec", JSON.writeValueAsString(Map.of("cmd", List.of(cmd))));
        if (r.statusCode() != 200) {
            throw new AssertionError("exec in " + id + " answered " + r.statusCode() + ": " + r.body());
        }
        ExecOutput e = ExecOutput.parse(r.body());
        if (e.error() != null) {
            throw new AssertionError("exec in " + id + " failed: " + e.error());
        }
        return e;
    }

    /** Waits for the process to end by itself (a crash point); its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("burrowd did not reach its crash point within " + timeout.toSeconds() + " s");
        }
        return process.exitValue();
    }

    /** {@code kill -9}: no shutdown hook runs, the VMMs live on. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** A graceful stop (SIGTERM): the VMMs live on and are adopted at the next start. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Directories of saved states that never completed (no manifest): none may remain after a restart. */
    List<Path> partialSaves(String id) throws IOException {
        List<Path> out = new ArrayList<>();
        Path root = dataDir.resolve("suspended").resolve(id);
        if (Files.isDirectory(root)) {
            try (var dirs = Files.list(root)) {
                for (Path d : dirs.toList()) {
                    if (Files.isDirectory(d) && !Files.exists(d.resolve("template.json"))) {
                        out.add(d);
                    }
                }
            }
        }
        return out;
    }
}
