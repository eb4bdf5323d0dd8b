package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.microvms.files.BuiltinRun;
import dev.burrow.daemon.microvms.files.FileLimits;
import dev.burrow.daemon.microvms.files.GuestFiles;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.vmm.agent.ExecEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files routes over HTTP with a scripted guest: each builtin error class has its status, and a failure mid-transfer cuts the body. */
class FileRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final FileLimits LIMITS = new FileLimits(4096, 65536, 65536, 1024, 65536, Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofSeconds(1));

    @TempDir
    Path dir;
    private Database db;
    private ApiServer server;
    private String key;
    private final HttpClient http = HttpClient.newHttpClient();
    /** What the guest answers, by builtin name. */
    private volatile Function<List<String>, List<ExecEvent>> guest = argv -> List.of(new ExecEvent.Exit(0, 0));

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        ApiKeys keys = new ApiKeys(db);
        key = keys.create(new Tenants(db).create("a", null).orElseThrow().id(), false);
        server = new ApiServer("127.0.0.1", 0, keys, ApiLimits.DEFAULTS);
        BuiltinRun.Launcher launcher = (tenant, id, argv, stdin, requestId) -> scripted(guest.apply(argv));
        new FileRoutes(new GuestFiles(launcher, LIMITS)).register(server);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    private static BuiltinRun scripted(List<ExecEvent> events) {
        Deque<ExecEvent> left = new ArrayDeque<>(events);
        return new BuiltinRun() {
            @Override
            public ExecEvent next(Duration timeout) {
                return left.poll();
            }

            @Override
            public void writeStdin(byte[] data, int off, int len, Duration timeout) {
            }

            @Override
            public void closeStdin() {
            }

            @Override
            public void kill() {
            }

            @Override
            public void close() {
            }
        };
    }

    private static ExecEvent out(String s) {
        return new ExecEvent.Stdout(s.getBytes(StandardCharsets.UTF_8));
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery)).header("Authorization", "Bearer " + key);
    }

    @Test
    void everyGuestErrorClassHasItsStatusAndTheGuestsMessage() throws Exception {
        Map<Integer, Integer> statusByExit = Map.of(11, 404, 12, 403, 13, 409, 14, 409, 15, 507, 16, 400, 10, 500, 127, 409);
        for (Map.Entry<Integer, Integer> e : statusByExit.entrySet()) {
            guest = argv -> List.of(new ExecEvent.Stderr(("burrow: rm /x: error " + e.getKey() + "\n").getBytes()), new ExecEvent.Exit(e.getKey(), 0));
            HttpResponse<String> r = http.send(request("/v1/microvms/vm1/files?path=/x").DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("exit %d: %s", e.getKey(), r.body()).isEqualTo(e.getValue());
            JsonNode p = JSON.readTree(r.body());
            assertThat(p.get("detail").asText()).isEqualTo(e.getKey() == 127
                    ? "this microVM's agent has no file operations; rebuild the image version (a new version gets agent 0.4.0 or later)"
                    : "burrow: rm /x: error " + e.getKey());
            assertThat(CONTRACT.validateResponse("DELETE", "/v1/microvms/vm1/files", r.statusCode(), "application/problem+json", p)).isEmpty();
        }
    }

    @Test
    void aDirectoryReadsAsATarAndAFileAsBytes() throws Exception {
        guest = argv -> argv.getFirst().equals("stat")
                ? List.of(out("{\"path\":\"/d\",\"name\":\"d\",\"type\":\"dir\",\"size\":0,\"mode\":\"0755\",\"modifiedAt\":\"2026-12-01T00:00:00Z\"}"), new ExecEvent.Exit(0, 0))
                : List.of(out("tar bytes"), new ExecEvent.Exit(0, 0));
        HttpResponse<String> r = http.send(request("/v1/microvms/vm1/files?path=/d").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-tar");
        assertThat(r.body()).isEqualTo("tar bytes");
    }

    @Test
    void aReadThatFailsAfterItsFirstBytesIsCutNotEnded() throws Exception {
        guest = argv -> argv.getFirst().equals("stat")
                ? List.of(out("{\"type\":\"file\"}"), new ExecEvent.Exit(0, 0))
                : List.of(out("the first part"), new ExecEvent.Stderr("burrow: read: Input/output error\n".getBytes()), new ExecEvent.Exit(10, 0));
        HttpResponse<InputStream> r = http.send(request("/v1/microvms/vm1/files?path=/f").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> {
            try (InputStream in = r.body()) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class);
    }

    @Test
    void aSpecialFileIsAConflictBeforeAnythingIsRead() throws Exception {
        guest = argv -> argv.getFirst().equals("stat")
                ? List.of(out("{\"type\":\"other\"}"), new ExecEvent.Exit(0, 0))
                : List.of(out("never"), new ExecEvent.Exit(0, 0));
        HttpResponse<String> r = http.send(request("/v1/microvms/vm1/files?path=/dev/null").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("not a regular file or a directory");
    }

    @Test
    void unknownQueryParametersAndBadTypesAreRefused() throws Exception {
        HttpResponse<String> r = http.send(request("/v1/microvms/vm1/files?path=/x&recursive=true").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        r = http.send(request("/v1/microvms/vm1/files?path=/x&type=link").PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("type");
    }
}
