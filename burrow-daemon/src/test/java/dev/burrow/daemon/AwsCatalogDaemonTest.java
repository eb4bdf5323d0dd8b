package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.aws.AccountIds;
import dev.burrow.daemon.aws.Arns;
import dev.burrow.daemon.store.Principal;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The catalog of the AWS door as burrowd wires it: the managed bases it offers, and tags on an
 * image made through {@code /v1} that go when {@code /v1} deletes it. No microVM boots: the image's
 * build is of bytes that are no image, so it fails at once and leaves the image to tag.
 */
class AwsCatalogDaemonTest {

    private static final String REGION = "ap-south-1";
    /** A build of bytes that are no image fails while unpacking, long before any boot. */
    private static final Duration BUILD_FAILS = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(100);

    static TestDaemon d;
    static AwsTestClient admin;
    static AwsTestClient bob;
    static String adminTenant;

    @BeforeAll
    static void start() throws Exception {
        d = TestDaemon.start("awscat");
        for (JsonNode t : d.call("GET", "/v1/admin/tenants", null, 200).get("items")) {
            if (t.get("name").asText().equals("admin")) {
                adminTenant = t.get("id").asText();
            }
        }
        String bobTenant = d.call("POST", "/v1/admin/tenants", "{\"name\":\"bob\"}", 201).get("id").asText();
        d.daemon.awsAuthenticator(AwsTestClient.trusting(Map.of(
                "AKIDADMIN", new Principal(adminTenant, "admin", true, "key_admin"),
                "AKIDBOB", new Principal(bobTenant, "bob", false, "key_bob"))));
        admin = new AwsTestClient(d.base, "AKIDADMIN", REGION);
        bob = new AwsTestClient(d.base, "AKIDBOB", REGION);
    }

    @AfterAll
    static void stop() throws Exception {
        d.close();
    }

    @Test
    void theDaemonOffersEveryManagedBaseInTheCallersRegionWithNoVersionsBeforeOneIsPublished() throws Exception {
        AwsTestClient.Answer list = admin.call("GET", "/2025-09-09/managed-microvm-images", null);

        assertThat(list.status()).isEqualTo(200);
        List<String> arns = new ArrayList<>();
        list.body().get("items").forEach(i -> arns.add(i.get("imageArn").asText()));
        assertThat(arns).containsExactly(Arns.managedImage(REGION, "minimal"), Arns.managedImage(REGION, "python"),
                Arns.managedImage(REGION, "node"));
        AwsTestClient.Answer versions = bob.call("GET", "/2025-09-09/managed-microvm-images/minimal/versions", null);
        assertThat(versions.status()).isEqualTo(200);
        assertThat(versions.body().get("items")).isEmpty();
    }

    @Test
    void tagsOfAnImageMadeThroughV1AreItsOwnersOnlyAndGoWhenV1DeletesIt() throws Exception {
        HttpResponse<String> up = d.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofString("these bytes are no image"));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        d.call("POST", "/v1/images", "{\"name\":\"tagged\",\"source\":{\"type\":\"upload\",\"uploadId\":\""
                + TestDaemon.JSON.readTree(up.body()).get("uploadId").asText() + "\",\"format\":\"oci-archive\"}}", 202);
        String tags = "/2017-03-31/tags/" + URLEncoder.encode(Arns.image(REGION, AccountIds.of(adminTenant), "tagged"), StandardCharsets.UTF_8);

        assertThat(admin.call("POST", tags, Map.of("Tags", Map.of("team", "core", "env", "ci"))).status()).isEqualTo(204);
        assertThat(admin.call("GET", tags, null).body().get("Tags")).isEqualTo(TestDaemon.JSON.readTree("{\"env\":\"ci\",\"team\":\"core\"}"));
        assertThat(bob.call("GET", tags, null).errorType()).isEqualTo("ResourceNotFoundException");

        awaitFailed("tagged");
        assertThat(d.send("DELETE", "/v1/images/tagged", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(204);
        assertThat(d.send("GET", "/v1/images/tagged", HttpRequest.BodyPublishers.noBody()).statusCode()).isEqualTo(404);
        AwsTestClient.Answer gone = admin.call("GET", tags, null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.errorType()).isEqualTo("ResourceNotFoundException");
    }

    /** Waits, against a deadline, until version 1 of {@code image} has failed. */
    private static void awaitFailed(String image) throws Exception {
        long deadline = System.nanoTime() + BUILD_FAILS.toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            state = d.call("GET", "/v1/images/" + image + "/versions/1", null, 200).get("state").asText();
            if (state.equals("FAILED")) {
                return;
            }
            Thread.sleep(POLL.toMillis()); // polled against the deadline
        }
        assertThat(state).as("%s:1 within %s", image, BUILD_FAILS).isEqualTo("FAILED");
    }
}
