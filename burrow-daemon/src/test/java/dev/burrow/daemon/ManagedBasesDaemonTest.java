package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.images.builtin.ManagedBases;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A development burrowd told to publish the {@code minimal} base: after the demo, in the
 * background, it becomes a public image of the admin tenant named {@code minimal} that runs, and
 * the marker of what its version was built from is written once it is READY.
 */
class ManagedBasesDaemonTest {
    /** The demo's version build, then the base's (busybox: written in a second, booted once). */
    private static final Duration PUBLISHED = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofMillis(500);

    @Test
    void theDevelopmentDaemonPublishesTheNamedBaseAsARunnablePublicImage() throws Exception {
        try (TestDaemon d = TestDaemon.start("bases", c -> new DaemonConfig(c.dataDir(), c.cacheDir(), c.host(), c.port(), true,
                c.minDurationSeconds(), c.maxDurationSeconds(), c.maxConcurrentBuilds(), c.apiLimits(), c.lifecycle(), c.egress(),
                c.insecureRegistries(), ManagedBases.select("minimal")))) {
            JsonNode image = awaitImage(d, "minimal");
            assertThat(image.path("public").asBoolean()).isTrue();
            assertThat(image.path("versions")).hasSize(1);
            assertThat(image.path("versions").get(0).path("state").asText()).isEqualTo("READY");
            // only what the setting names: python and node are not published
            assertThat(d.send("GET", "/v1/images/python", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(404);
            assertThat(Files.readString(d.dataDir.resolve("managed-bases/minimal")))
                    .startsWith(ManagedBases.named("minimal").orElseThrow().stamp() + " agent ");

            String id = d.run("minimal", "");
            ExecOutput out = ExecOutput.parse(d.send("POST", "/v1/microvms/" + id + "/exec",
                    HttpRequest.BodyPublishers.ofString("{\"cmd\":[\"sh\",\"-c\",\"id -u burrow; busybox | head -1\"]}")).body());
            assertThat(out.exit()).as(out.stderr()).isZero();
            assertThat(out.stdout()).startsWith("1000\nBusyBox");
        }
    }

    /** The image once its first version is READY or FAILED (the marker is written a moment after READY). */
    private static JsonNode awaitImage(TestDaemon d, String name) throws Exception {
        long deadline = System.nanoTime() + PUBLISHED.toNanos();
        while (true) {
            var r = d.send("GET", "/v1/images/" + name, HttpRequest.BodyPublishers.noBody());
            if (r.statusCode() == 200) {
                JsonNode img = TestDaemon.JSON.readTree(r.body());
                JsonNode v = img.path("versions").path(0);
                if (v.path("state").asText().matches("READY|FAILED") && Files.exists(d.dataDir.resolve("managed-bases/" + name))
                        || v.path("state").asText().equals("FAILED")) {
                    return img;
                }
            }
            assertThat(System.nanoTime()).as("%s published within %s", name, PUBLISHED).isLessThan(deadline);
            Thread.sleep(POLL.toMillis()); // polled against the deadline
        }
    }
}
