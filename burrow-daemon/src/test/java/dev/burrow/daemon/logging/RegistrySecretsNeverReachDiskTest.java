package dev.burrow.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.registries.SecretBox;
import dev.burrow.oci.Platform;
import dev.burrow.oci.registry.testing.TestImages;
import dev.burrow.oci.registry.testing.TestRegistry;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real burrowd with its log in a file and Jetty at DEBUG, a token-auth registry on loopback:
 * registry logins are stored, refused, and used for pulls (the password at the token server, a
 * token as the bearer) that fail on the platform before any boot. Afterwards no file burrowd
 * wrote — log, database, events, build logs — holds the password or the token.
 */
@Tag("hostile")
class RegistrySecretsNeverReachDiskTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String USER = "puller";
    private static final String PASSWORD = "Pa55-that-must-stay-in-the-sealed-column";
    private static final Duration PULL_DEADLINE = Duration.ofSeconds(60);

    @Test
    void noFileBurrowdWritesHoldsARegistryPasswordOrToken() throws Exception {
        Path data = Files.createTempDirectory("burrowd-registry-secrets-");
        LoggedDaemon daemon = null;
        String token;
        try (TestRegistry registry = TestRegistry.token(USER, PASSWORD)) {
            registry.push("team/arm", "1", TestImages.multiPlatform(Files.createDirectories(data.resolve("fixture")),
                    Platform.of("linux", "arm64")));
            token = registry.tokens().mint(USER, "team/arm", List.of("pull"));
            daemon = new LoggedDaemon(data);
            String base = daemon.base();
            String key = Files.readString(data.resolve("admin.key")).strip();
            String host = "/v1/registries/" + registry.host();
            String source = "{\"type\":\"registry\",\"ref\":\"" + registry.host() + "/team/arm:1\"}";

            assertThat(call(base, key, "PUT", host, "{\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\",\"token\":\"" + token + "\"}"))
                    .isEqualTo(400);
            assertThat(call(base, key, "PUT", host, "{\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}")).isEqualTo(200);
            assertThat(call(base, key, "POST", "/v1/images", "{\"name\":\"arm\",\"source\":" + source + "}")).isEqualTo(202);
            assertThat(settled(base, key, "arm", 1)).contains("has no linux/amd64 image").contains("linux/arm64");
            assertThat(call(base, key, "PUT", host, "{\"token\":\"" + token + "\"}")).isEqualTo(200);
            assertThat(call(base, key, "POST", "/v1/images/arm/versions", "{\"source\":" + source + "}")).isEqualTo(202);
            assertThat(settled(base, key, "arm", 2)).contains("has no linux/amd64 image");
            assertThat(registry.tokens().issued()).as("the password was used at the token server").isPositive();
            assertThat(call(base, key, "GET", "/v1/events?limit=1000", null)).isEqualTo(200);
        } finally {
            if (daemon != null) {
                daemon.close();
            }
        }
        try {
            List<String> leaks = new ArrayList<>();
            String tokenTail = token.substring(token.length() - 24);
            try (Stream<Path> all = Files.walk(data)) {
                for (Path p : all.toList()) {
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !p.getFileName().toString().equals(SecretBox.KEY_FILE)) {
                        String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                        if (text.contains(PASSWORD) || text.contains(tokenTail)) {
                            leaks.add(data.relativize(p).toString());
                        }
                    }
                }
            }
            assertThat(Files.size(data.resolve("logs").resolve("burrowd.log"))).as("Jetty at DEBUG wrote the log the test greps")
                    .isGreaterThan(10_000);
            assertThat(leaks).as("files holding a registry secret").isEmpty();
        } finally {
            FileTrees.deleteQuietly(data);
            FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(data)));
        }
    }

    private static int call(String base, String key, String method, String path, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The version's stateReason once it FAILED (polled against a deadline); fails when it did not. */
    private static String settled(String base, String key, String image, int version) throws Exception {
        long deadline = System.nanoTime() + PULL_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/images/" + image + "/versions/" + version))
                    .header("Authorization", "Bearer " + key).build();
            String body = HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body();
            if (body.contains("\"state\":\"FAILED\"")) {
                return body;
            }
            assertThat(body).as("the pull must fail on the platform, never boot").doesNotContain("\"state\":\"READY\"");
            Thread.sleep(100);
        }
        throw new AssertionError(image + ":" + version + " did not fail within " + PULL_DEADLINE);
    }
}
