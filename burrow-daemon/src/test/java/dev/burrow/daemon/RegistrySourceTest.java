package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.registry.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code registry} sources end to end: a real burrowd, Debian's docker-registry with basic auth on
 * loopback, the busybox image pushed to it. One build boots (pull → READY → run → exec); the
 * cross-tenant and wrong-password cases fail in the pull, after the first build cached the blobs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RegistrySourceTest {

    private static final String USER = "builder";
    private static final String PASSWORD = "Registry-Pa55-for-tenant-a-only";
    private static final Duration PULL_DEADLINE = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(100);

    private static TestRegistry registry;
    private static TestDaemon daemon;
    private static KeyClient admin;
    private static KeyClient other;
    private static Descriptor pushed;
    private static String ref;

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.basic(USER, PASSWORD);
        try {
            daemon = TestDaemon.start("registry");
            admin = new KeyClient(daemon.base, daemon.key);
            Path layout = BuiltinImages.busybox(daemon.dataDir.resolve("fixture-layout"));
            pushed = registry.push("tools/busybox", "1", layout);
            ref = registry.host() + "/tools/busybox:1";
            admin.call("POST", "/v1/admin/tenants", "{\"name\":\"other\"}", 201);
            other = new KeyClient(daemon.base, admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"other\"}", 201).get("key").asText());
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (daemon != null) {
                daemon.close();
            }
        } finally {
            registry.close();
        }
    }

    private static String create(String name, String source) {
        return "{\"name\":\"" + name + "\",\"source\":" + source + ",\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}";
    }

    private static String registrySource() {
        return "{\"type\":\"registry\",\"ref\":\"" + ref + "\"}";
    }

    /** The version once it left PENDING and BUILDING (polled against a deadline). */
    private static JsonNode settled(KeyClient c, String image, Duration within) throws Exception {
        String path = "/v1/images/" + image + "/versions/1";
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode v = c.call("GET", path, null, 200);
        while (!v.get("state").asText().matches("READY|FAILED") && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            v = c.call("GET", path, null, 200);
        }
        return v;
    }

    @Test
    @Order(1)
    void aPrivateRegistryImageBuildsWithTheTenantsLoginAndRuns() throws Exception {
        admin.call("PUT", "/v1/registries/" + registry.host(), "{\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}", 200);
        admin.call("POST", "/v1/images", create("bbreg", registrySource()), 202);
        // a followed build log streams until the build ends (SPEC §3), so it ends with the READY line
        String followed = admin.send("GET", "/v1/images/bbreg/versions/1/logs?follow=true", (String) null).body();
        assertThat(followed).contains("pulled " + ref).contains("READY");
        daemon.awaitVersion("bbreg", 1, TestDaemon.BUILD_DEADLINE);
        JsonNode v = admin.call("GET", "/v1/images/bbreg/versions/1", null, 200);
        assertThat(v.get("source").asText()).isEqualTo("registry:" + ref);
        String log = admin.send("GET", "/v1/images/bbreg/versions/1/logs", (String) null).body();
        assertThat(log).contains("user " + USER).contains("pulled " + ref).doesNotContain(PASSWORD).isEqualTo(followed);

        String id = daemon.run("bbreg", "");
        HttpResponse<String> r = admin.send("POST", "/v1/microvms/" + id + "/exec", "{\"cmd\":[\"sh\",\"-c\",\"echo from-registry; cat /etc/hostname >/dev/null\"]}");
        ExecOutput out = ExecOutput.parse(r.body());
        assertThat(out.exit()).as(r.body()).isZero();
        assertThat(out.stdout()).isEqualTo("from-registry\n");
    }

    @Tag("hostile")
    @Test
    @Order(2)
    void anotherTenantCannotBuildTheCachedPrivateImageWithoutTheRightLogin() throws Exception {
        BlobStore blobs = new BlobStore(daemon.dataDir.resolve("blobs"));
        assertThat(blobs.contains(pushed.digest())).as("tenant a's pull left the manifest in the shared store").isTrue();

        other.call("POST", "/v1/images", create("stolen", registrySource()), 202);
        JsonNode anonymous = settled(other, "stolen", PULL_DEADLINE);
        assertThat(anonymous.get("state").asText()).isEqualTo("FAILED");
        assertThat(anonymous.get("stateReason").asText()).contains("registry " + registry.host() + " refused an anonymous pull")
                .contains("no login for " + registry.host());

        other.call("PUT", "/v1/registries/" + registry.host(), "{\"username\":\"" + USER + "\",\"password\":\"not-" + PASSWORD + "\"}", 200);
        String byDigest = "{\"type\":\"registry\",\"ref\":\"" + registry.host() + "/tools/busybox@" + pushed.digest() + "\"}";
        other.call("POST", "/v1/images", create("stolen2", byDigest), 202);
        JsonNode wrong = settled(other, "stolen2", PULL_DEADLINE);
        assertThat(wrong.get("state").asText()).isEqualTo("FAILED");
        assertThat(wrong.get("stateReason").asText()).contains("registry " + registry.host() + " refused the credentials of user " + USER)
                .doesNotContain(PASSWORD);
        assertThat(other.call("GET", "/v1/registries/" + registry.host(), null, 200).toString()).doesNotContain(PASSWORD);
        assertThat(other.call("GET", "/v1/images/stolen", null, 200).get("versions").get(0).get("state").asText()).isEqualTo("FAILED");
    }

    @Test
    @Order(3)
    void aRegistrySourceIsCheckedBeforeAnythingIsPulled() throws Exception {
        JsonNode noHost = admin.call("POST", "/v1/images", create("bad1", "{\"type\":\"registry\",\"ref\":\"busybox:latest\"}"), 400);
        assertThat(noHost.get("field").asText()).isEqualTo("source.ref");
        assertThat(noHost.get("detail").asText()).contains("names no registry host");
        JsonNode arm = admin.call("POST", "/v1/images",
                create("bad2", "{\"type\":\"registry\",\"ref\":\"" + ref + "\",\"platform\":\"linux/arm64\"}"), 400);
        assertThat(arm.get("field").asText()).isEqualTo("source.platform");
        assertThat(arm.get("detail").asText()).contains("linux/amd64");
        JsonNode several = admin.call("POST", "/v1/images", create("bad3", "{\"type\":\"registry\",\"format\":\"oci-archive\"}"), 400);
        List<String> fields = new ArrayList<>();
        several.get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("source.ref", "source.format");
        JsonNode upload = admin.call("POST", "/v1/images",
                create("bad4", "{\"type\":\"upload\",\"uploadId\":\"up1\",\"format\":\"oci-archive\",\"platform\":\"linux/amd64\"}"), 400);
        assertThat(upload.get("field").asText()).isEqualTo("source.platform");
        assertThat(upload.get("detail").asText()).contains("registry sources only");
        assertThat(admin.call("GET", "/v1/images?limit=500", null, 200).get("items").toString()).doesNotContain("bad1", "bad2", "bad3", "bad4");
    }
}
