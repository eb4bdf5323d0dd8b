package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.burrow.oci.dockerfile.DockerIgnore;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * examples/python-app and node-app end to end in a real burrowd: the directory (less what its
 * .dockerignore excludes) goes up as a build context, a {@code dockerfile} build {@code FROM
 * python} / {@code FROM node} (the managed bases) with its hooks.json makes version 1, a microVM
 * of it runs with a payload and the app answers through the ingress endpoint. Skipped, saying why, while the daemon answers that
 * {@code dockerfile} sources are not supported.
 */
class BuildExamplesEndToEndTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The first build may debootstrap the python base (minutes under TCG on a loaded machine), then boots twice. */
    private static final Duration BUILD = Duration.ofMinutes(25);
    /** The app answering through the endpoint once the run hook has answered: at once, but allow a slow first request. */
    private static final Duration ANSWER = Duration.ofSeconds(60);
    private static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();

    private static TestDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("examples");
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** The example's directory as a tar, without what its .dockerignore excludes (as `burrow image build` sends it). */
    static Path contextTar(Path dir, Path tar) throws Exception {
        DockerIgnore ignore = DockerIgnore.parse(Files.readString(dir.resolve(".dockerignore")));
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream out = Files.newOutputStream(tar); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            for (Path f : files) {
                String rel = dir.relativize(f).toString();
                if (ignore.excluded(rel) && !rel.equals("Dockerfile") && !rel.equals(".dockerignore")) {
                    continue;
                }
                TarArchiveEntry e = new TarArchiveEntry(rel);
                e.setSize(Files.size(f));
                e.setMode(0644);
                t.putArchiveEntry(e);
                Files.copy(f, t);
                t.closeArchiveEntry();
            }
        }
        return tar;
    }

    @Test
    void thePythonExampleBuildsFromItsDirectoryRunsAndAnswersThroughTheIngressEndpoint() throws Exception {
        buildRunAndAsk("python-app", "web");
    }

    @Test
    void theNodeExampleBuildsFromItsDirectoryRunsAndAnswersThroughTheIngressEndpoint() throws Exception {
        buildRunAndAsk("node-app", "node-web");
    }

    /** Builds examples/{@code example} as {@code image} with its hooks, runs it with a payload and reads its answer twice. */
    private static void buildRunAndAsk(String example, String image) throws Exception {
        Path dir = EXAMPLES.resolve(example);
        Path tar = contextTar(dir, daemon.dataDir.resolve(example + ".tar"));
        HttpResponse<String> up = daemon.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(tar));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);

        ObjectNode body = TestDaemon.JSON.createObjectNode();
        body.put("name", image);
        body.putObject("source").put("type", "dockerfile").put("uploadId", TestDaemon.JSON.readTree(up.body()).get("uploadId").asText());
        body.set("hooks", TestDaemon.JSON.readTree(dir.resolve("hooks.json").toFile()));
        HttpResponse<String> created = daemon.send("POST", "/v1/images", HttpRequest.BodyPublishers.ofString(body.toString()));
        Assumptions.assumeFalse(created.statusCode() == 400 && created.body().contains("not supported"),
                "burrowd does not build dockerfile sources yet (the builder branch is not merged): " + created.body());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        daemon.awaitVersion(image, 1, BUILD);

        String id = daemon.run(image, "\"runHookPayload\":\"hello from run\"");
        String token = daemon.call("POST", "/v1/microvms/" + id + "/tokens", "{\"ports\":[8080]}", 201).get("token").asText();
        JsonNode answer = TestDaemon.JSON.readTree(get(id, token).body());
        assertThat(answer.path("app").asText()).isEqualTo(example);
        assertThat(answer.path("payload").asText()).as("the run hook ran with the run's payload").isEqualTo("hello from run");
        assertThat(answer.path("instance").asText()).as("the microVM's own hostname").isEqualTo(id);
        assertThat(answer.path("hits").asInt()).as("the run hook restarted the counter").isEqualTo(1);
        assertThat(TestDaemon.JSON.readTree(get(id, token).body()).path("hits").asInt()).isEqualTo(2);
    }

    /** GET / through the path-based endpoint until the app answers 200 (a 502 is the guest still starting). */
    private static HttpResponse<String> get(String id, String token) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(daemon.base + "/proxy/" + id + "/")).header("X-Burrow-Token", token).build();
        long deadline = System.nanoTime() + ANSWER.toNanos();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        while (r.statusCode() == 502 && System.nanoTime() < deadline) {
            Thread.sleep(200); // polled against the deadline: the guest's app is still starting
            r = HTTP.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }
}
