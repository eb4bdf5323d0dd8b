package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The files API end to end: burrowd as its own process with a 256 MiB heap, a busybox microVM,
 * every operation and its errors mapped, the contract checked on every answer.
 */
class FilesApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ApiContract CONTRACT = ApiContract.get();
    /** Enough to cross many exec windows in both directions; LargeFileTransferTest moves 2 GiB (slow tests). */
    private static final long ROUND_TRIP_BYTES = 16L << 20;
    private static FilesFixture fixture;
    private static DaemonProcess daemon;
    private static String vm;

    @BeforeAll
    static void start() throws Exception {
        fixture = FilesFixture.start("256m");
        daemon = fixture.daemon;
        vm = fixture.vm;
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static HttpRequest.Builder request(String path) {
        return fixture.request(path);
    }

    private static String files(String id, String suffix, String path) {
        return FilesFixture.files(id, suffix, path);
    }

    private static HttpResponse<byte[]> call(String method, String path, byte[] body) throws Exception {
        return HTTP.send(request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The answer, which must have {@code status} and be what the contract says for the call. */
    private static JsonNode checked(HttpResponse<byte[]> r, int status) throws Exception {
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as(text).isEqualTo(status);
        String type = r.headers().firstValue("Content-Type").orElse(null);
        JsonNode body = null;
        if (type != null && type.startsWith("application/x-ndjson")) {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
            body = JSON.valueToTree(lines);
        } else if (type != null && type.contains("json")) {
            body = JSON.readTree(text);
        }
        assertThat(CONTRACT.validateResponse(r.request().method(), r.request().uri().getPath(), status, type,
                type != null && type.contains("json") ? body : null)).as("%s against openapi.yaml", text).isEmpty();
        return body;
    }

    @Test
    void aWrittenFileReadsBackListsWithItsStatAndItsDirectoryReadsAsATar() throws Exception {
        JsonNode written = checked(call("PUT", files(vm, "", "/root/docs/notes.txt") + "&mode=640", "hello files\n".getBytes()), 200);
        assertThat(written.get("type").asText()).isEqualTo("file");
        assertThat(written.get("mode").asText()).isEqualTo("0640");
        assertThat(written.get("size").asLong()).isEqualTo(12);

        HttpResponse<byte[]> read = call("GET", files(vm, "", "/root/docs/notes.txt"), null);
        checked(read, 200);
        assertThat(new String(read.body(), StandardCharsets.UTF_8)).isEqualTo("hello files\n");
        assertThat(read.headers().firstValue("Content-Type")).hasValue("application/octet-stream");

        JsonNode listed = checked(call("GET", files(vm, "/list", "/root/docs"), null), 200);
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("name").asText()).isEqualTo("notes.txt");
        assertThat(listed.get(0).get("path").asText()).isEqualTo("/root/docs/notes.txt");

        HttpResponse<byte[]> tar = call("GET", files(vm, "", "/root"), null);
        checked(tar, 200);
        assertThat(tar.headers().firstValue("Content-Type")).hasValue("application/x-tar");
        Process t = new ProcessBuilder("tar", "-tf", "-").redirectErrorStream(true).start();
        t.getOutputStream().write(tar.body());
        t.getOutputStream().close();
        String names = new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(t.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(t.exitValue()).as(names).isZero();
        assertThat(names.lines()).contains("docs/", "docs/notes.txt");
    }

    @Test
    void mkdirMoveAndRemoveWorkAndGuestErrorsKeepTheirStatusAndMessage() throws Exception {
        JsonNode dir = checked(call("PUT", files(vm, "", "/srv/a/b") + "&type=dir&mode=750", null), 200);
        assertThat(dir.get("type").asText()).isEqualTo("dir");
        assertThat(dir.get("mode").asText()).isEqualTo("0750");
        checked(call("PUT", files(vm, "", "/srv/a/b/f"), "f".getBytes()), 200);

        JsonNode moved = checked(call("POST", "/v1/microvms/" + vm + "/files/move", "{\"from\":\"/srv/a\",\"to\":\"/srv/z/a2\"}".getBytes()), 200);
        assertThat(moved.get("path").asText()).isEqualTo("/srv/z/a2");
        assertThat(new String(call("GET", files(vm, "", "/srv/z/a2/b/f"), null).body())).isEqualTo("f");

        JsonNode gone = checked(call("GET", files(vm, "", "/srv/a/b/f"), null), 404);
        assertThat(gone.get("detail").asText()).contains("No such file or directory");
        checked(call("PUT", files(vm, "", "/srv/z/a2/b/f/under-a-file"), "x".getBytes()), 409);
        checked(call("PUT", files(vm, "", "/srv/z/a2/b/f") + "&type=dir", null), 409);
        checked(call("GET", files(vm, "", "/dev/null"), null), 409);

        checked(call("DELETE", files(vm, "", "/srv/z"), null), 204);
        checked(call("DELETE", files(vm, "", "/srv/z"), null), 404);
        checked(call("GET", files(vm, "/list", "/srv/z"), null), 404);
    }

    @Test
    void badPathsAndModesAreRefusedNamingTheField() throws Exception {
        for (String bad : List.of("relative/path", "", "/" + "a".repeat(4096))) {
            JsonNode p = checked(call("GET", files(vm, "", bad), null), 400);
            assertThat(p.get("field").asText()).isEqualTo("path");
        }
        assertThat(checked(call("PUT", files(vm, "", "/tmp/x") + "&mode=999", "x".getBytes()), 400).get("field").asText()).isEqualTo("mode");
        assertThat(checked(call("POST", "/v1/microvms/" + vm + "/files/move", "{\"from\":\"/a\",\"to\":\"b\"}".getBytes()), 400)
                .get("field").asText()).isEqualTo("to");
        checked(call("GET", files("vm0nosuch", "", "/etc/passwd"), null), 404);
    }

    @Test
    @Tag("hostile")
    void aPathThatClimbsOnlyEverMeansTheGuestsOwnFiles() throws Exception {
        String guest = new String(call("GET", files(vm, "", "/etc/passwd"), null).body(), StandardCharsets.UTF_8);
        HttpResponse<byte[]> climbed = call("GET", files(vm, "", "/../../etc/passwd"), null);
        checked(climbed, 200);
        assertThat(new String(climbed.body(), StandardCharsets.UTF_8)).isEqualTo(guest).isEqualTo(daemon.exec(vm, "cat", "/etc/passwd").stdout());
        assertThat(guest).isNotEqualTo(Files.readString(Path.of("/etc/passwd")));
    }

    @Test
    void aWatchReportsChangesMadeInTheGuest() throws Exception {
        checked(call("PUT", files(vm, "", "/root/watched") + "&type=dir", null), 200);
        HttpResponse<InputStream> r = HTTP.send(request(files(vm, "/watch", "/root/watched") + "&recursive=true").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        try (InputStream in = r.body()) {
            Thread.ofVirtual().start(() -> {
                try (BufferedReader b = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = b.readLine()) != null; ) {
                        if (!line.isBlank()) {
                            lines.add(line);
                        }
                    }
                } catch (IOException closed) {
                    // the test closed the stream
                }
            });
            JsonNode ready = JSON.readTree(lines.poll(60, TimeUnit.SECONDS));
            assertThat(ready.get("op").asText()).isEqualTo("ready");
            daemon.exec(vm, "sh", "-c", "mkdir /root/watched/d && echo x > /root/watched/d/f");
            List<JsonNode> seen = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (seen.stream().noneMatch(n -> n.get("path").asText().equals("/root/watched/d/f")) && System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    JsonNode n = JSON.readTree(line);
                    assertThat(CONTRACT.validateFrame("file-watch", n)).as(line).isEmpty();
                    seen.add(n);
                }
            }
            assertThat(seen).extracting(n -> n.get("op").asText() + " " + n.get("path").asText() + " " + n.get("isDir").asBoolean())
                    .contains("create /root/watched/d true", "create /root/watched/d/f false");
        }
    }

    @Test
    void aFileOperationResumesASuspendedMicroVmWithAutoResumeAndIsRefusedWithout() throws Exception {
        String auto = daemon.call("POST", "/v1/microvms", "{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":1,\"autoResume\":true}}", 201)
                .get("id").asText();
        String manual = daemon.call("POST", "/v1/microvms", "{\"image\":\"bb\",\"idlePolicy\":{\"maxIdleSeconds\":1}}", 201)
                .get("id").asText();
        checked(call("PUT", files(auto, "", "/root/kept"), "kept".getBytes()), 200);
        for (String id : List.of(auto, manual)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!daemon.state(id).equals("SUSPENDED") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(daemon.state(id)).isEqualTo("SUSPENDED");
        }
        HttpResponse<byte[]> read = call("GET", files(auto, "", "/root/kept"), null);
        checked(read, 200);
        assertThat(new String(read.body(), StandardCharsets.UTF_8)).isEqualTo("kept");
        JsonNode refused = checked(call("GET", files(manual, "/list", "/root"), null), 409);
        assertThat(refused.get("detail").asText()).contains("/v1/microvms/" + manual + "/resume");
        daemon.send("DELETE", "/v1/microvms/" + auto, null);
        daemon.send("DELETE", "/v1/microvms/" + manual, null);
    }

    @Test
    void aFileRoundTripsWithTheSameSha256() throws Exception {
        FilesFixture.RoundTrip t = fixture.roundTrip("/root/round.bin", ROUND_TRIP_BYTES);
        assertThat(t.receivedSha256()).isEqualTo(t.sentSha256());
        System.out.println(t);
    }
}
