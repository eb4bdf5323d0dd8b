package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.api.WsClient;
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
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Terminals in a real microVM through a real burrowd: the PTY WebSocket as a client program
 * drives it (size, resize, ^C, exit code).
 */
class ShellTerminalTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration BUILD_DEADLINE = Duration.ofMinutes(3);
    private static Path dataDir;
    private static Burrowd daemon;
    private static String base;
    private static String key;
    private static String vm;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("burrowd-shell-");
        daemon = Burrowd.start(new DaemonConfig(dataDir, KernelCache.cacheDirFromEnvironment(), "127.0.0.1", 0, false, 1, 28800, 1));
        base = "http://127.0.0.1:" + daemon.port();
        key = Files.readString(dataDir.resolve("admin.key")).strip();
        Path layout = dataDir.resolve("fixture-layout");
        BuiltinImages.busybox(layout);
        Path archive = dataDir.resolve("fixture.tar");
        OciLayoutWriter.toArchive(layout, archive);
        JsonNode up = call("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(archive), 201);
        call("POST", "/v1/images", HttpRequest.BodyPublishers.ofString("{\"name\":\"bb\",\"source\":{\"type\":\"upload\",\"uploadId\":\""
                + up.get("uploadId").asText() + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}"), 202);
        long deadline = System.nanoTime() + BUILD_DEADLINE.toNanos();
        String state;
        do {
            Thread.sleep(200);
            state = call("GET", "/v1/images/bb/versions/1", HttpRequest.BodyPublishers.noBody(), 200).get("state").asText();
        } while (!state.equals("READY") && !state.equals("FAILED") && System.nanoTime() < deadline);
        assertThat(state).isEqualTo("READY");
        vm = call("POST", "/v1/microvms", HttpRequest.BodyPublishers.ofString("{\"image\":\"bb\"}"), 201).get("id").asText();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            if (vm != null) {
                call("DELETE", "/v1/microvms/" + vm, HttpRequest.BodyPublishers.noBody(), 202);
            }
            daemon.close();
        }
        FileTrees.deleteQuietly(dataDir);
        FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
    }

    private static JsonNode call(String method, String path, HttpRequest.BodyPublisher body, int status) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .method(method, body).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    private static WsClient terminal(String query) throws Exception {
        return WsClient.connect(URI.create(base.replace("http", "ws") + "/v1/microvms/" + vm + "/pty" + query),
                Map.of("Authorization", "Bearer " + key), true);
    }

    @Test
    void theGuestTerminalHasTheRequestedSizeAndFollowsAResize() throws Exception {
        WsClient t = terminal("?cmd=/bin/sh&cols=80&rows=24");
        t.send("stty size\r");
        WsClient.await(() -> t.output().contains("24 80"), "stty size printed 24 80");
        t.control("{\"resize\":{\"cols\":100,\"rows\":30}}");
        t.send("stty size\r");
        WsClient.await(() -> t.output().contains("30 100"), "stty size printed 30 100 after the resize");
        t.send("exit 7\r");
        assertThat(t.awaitClose()).startsWith("1000 ");
        assertThat(t.texts).containsExactly("{\"exit\":7}");
    }

    @Test
    void controlCIsAByteThatInterruptsTheForegroundCommand() throws Exception {
        WsClient t = terminal("?cmd=/bin/sh");
        t.send("sleep 100\r");
        WsClient.await(() -> t.output().contains("sleep 100"), "the command was echoed");
        t.send("\u0003");
        t.send("echo after-$?\r");
        WsClient.await(() -> t.output().contains("after-130"), "sleep was interrupted (128 + SIGINT)");
        t.send("exit\r");
        assertThat(t.awaitClose()).startsWith("1000 ");
    }

    @Test
    void theDefaultCommandIsTheUsersLoginShell() throws Exception {
        WsClient t = terminal("?user=burrow");
        t.send("echo \"$0:$(id -un):$HOME\"\r");
        WsClient.await(() -> t.output().contains("-sh:burrow:/home/burrow") || t.output().contains("sh:burrow:/home/burrow"),
                "the shell runs as burrow in its home");
        t.send("exit\r");
        assertThat(t.awaitClose()).startsWith("1000 ");
    }
}
