package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.aws.AccountIds;
import dev.burrow.daemon.store.Principal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The image operations of the AWS door on a real burrowd: a zip with a Dockerfile {@code FROM
 * minimal}, a ready hook written for AWS (it answers at {@code /ready} only) and an HTTP server becomes an image (CreateMicrovmImage), is built into a
 * SUCCESSFUL version with real snapshot sizes, gets a second version (UpdateMicrovmImage), and its
 * versions and the image are deleted — each delete twice.
 */
class AwsImagesDaemonTest {

    /** Two builds of a small image on the managed minimal base: a cold boot and a snapshot each, under TCG on a loaded machine. */
    private static final Duration BUILT = Duration.ofMinutes(6);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final String REGION = "eu-west-1";
    private static final String HOOK = """
            read -r method path proto
            while read -r line; do case "$line" in ""|$(printf '\\r')) break;; esac; done
            echo "$method $path" >> /tmp/hook-calls
            case "$path" in /ready) s='200 OK';; *) s='404 Not Found';; esac
            printf 'HTTP/1.1 %s\\r\\nContent-Length: 5\\r\\nConnection: close\\r\\n\\r\\nready' "$s"
            """;
    private static final String APP = """
            read -r method path proto
            while read -r line; do case "$line" in ""|$(printf '\\r')) break;; esac; done
            printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 6\\r\\nConnection: close\\r\\n\\r\\nhello\\n'
            """;

    @Test
    void aZipWithADockerfileBecomesAnImageWithVersionsAndBuildsAndEveryDeleteIsIdempotent() throws Exception {
        try (TestDaemon d = TestDaemon.start("aws-images")) {
            KeyClient admin = new KeyClient(d.base, d.key);
            String tenantId = TestDaemon.JSON.readTree(admin.send("POST", "/v1/admin/tenants", "{\"name\":\"acme\"}").body()).get("id").asText();
            JsonNode key = TestDaemon.JSON.readTree(admin.send("POST", "/v1/admin/keys", "{\"tenant\":\"acme\"}").body());
            KeyClient acme = new KeyClient(d.base, key.get("key").asText());
            d.daemon.awsAuthenticator(AwsTestClient.trusting(Map.of("AKIDACME", new Principal(tenantId, "acme", false, key.get("id").asText()))));
            AwsTestClient aws = new AwsTestClient(d.base, "AKIDACME", REGION);
            String account = AccountIds.of(tenantId);
            String arn = "arn:aws:lambda:" + REGION + ":" + account + ":microvm-image:MyImage";

            HttpResponse<String> up = acme.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(zip(d.dataDir.resolve("app.zip"))));
            assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
            Map<String, Object> create = request(TestDaemon.JSON.readTree(up.body()).get("uploadId").asText());
            create.put("name", "MyImage");
            create.put("clientToken", "create-1");

            AwsTestClient.Answer created = aws.call("POST", "/2025-09-09/microvm-images", create);
            assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
            assertThat(created.body().get("imageArn").asText()).isEqualTo(arn);
            assertThat(created.body().get("name").asText()).isEqualTo("MyImage");
            assertThat(created.body().get("state").asText()).isEqualTo("CREATING");
            assertThat(created.body().get("imageVersion").asText()).isEqualTo("1");
            assertThat(created.body().get("buildRoleArn").asText()).isEqualTo(create.get("buildRoleArn"));
            // the same clientToken and request: the first answer again; the token on another request: a conflict
            assertThat(aws.call("POST", "/2025-09-09/microvm-images", create).body()).isEqualTo(created.body());
            create.put("description", "changed");
            assertThat(aws.call("POST", "/2025-09-09/microvm-images", create).errorType()).isEqualTo("ConflictException");

            JsonNode image = await(aws, "/2025-09-09/microvm-images/" + arn, "state", "CREATING");
            assertThat(image.get("state").asText()).as(version(aws, arn, 1).toString()).isEqualTo("CREATED");
            assertThat(image.get("latestActiveImageVersion").asText()).isEqualTo("1");
            JsonNode v1 = version(aws, arn, 1);
            assertThat(v1.get("state").asText()).isEqualTo("SUCCESSFUL");
            assertThat(v1.get("status").asText()).isEqualTo("ACTIVE");
            assertThat(v1.get("environmentVariables").get("GREETING").asText()).isEqualTo("hello");
            assertThat(v1.get("codeArtifact").get("uri").asText()).startsWith("burrow://uploads/");

            AwsTestClient.Answer builds = aws.call("GET", "/2025-09-09/microvm-images/MyImage/versions/1/builds", null);
            assertThat(builds.body().get("items")).hasSize(1);
            assertThat(builds.body().get("items").get(0).get("buildState").asText()).isEqualTo("SUCCESSFUL");
            JsonNode build = aws.call("GET", "/2025-09-09/microvm-images/MyImage/versions/1/builds/"
                    + builds.body().get("items").get(0).get("buildId").asText(), null).body();
            assertThat(build.get("architecture").asText()).isEqualTo("X86_64");
            JsonNode sizes = build.get("snapshotBuild");
            assertThat(sizes.get("memorySnapshotSizeInBytes").asLong()).isGreaterThan(256L << 20); // the 256 MiB guest RAM + device state
            assertThat(sizes.get("diskSnapshotSizeInBytes").asLong()).isPositive();
            assertThat(sizes.get("codeInstallSizeInBytes").asLong()).isEqualTo(2048L << 20); // the root filesystem's default disk size

            assertThat(aws.call("GET", "/2025-09-09/microvm-images?nameFilter=Image", null).body().get("items").get(0).get("name").asText())
                    .isEqualTo("MyImage");
            assertThat(aws.call("GET", "/2025-09-09/microvm-images?nameFilter=nothing", null).body().get("items")).isEmpty();

            Map<String, Object> update = request(TestDaemon.JSON.readTree(up.body()).get("uploadId").asText());
            AwsTestClient.Answer updated = aws.call("PUT", "/2025-09-09/microvm-images/MyImage", update);
            assertThat(updated.status()).as(updated.body().toString()).isEqualTo(200);
            assertThat(updated.body().get("imageVersion").asText()).isEqualTo("2");
            assertThat(updated.body().get("state").asText()).isEqualTo("UPDATING");
            assertThat(updated.body().get("name").asText()).isEqualTo("MyImage");
            JsonNode v2 = await(aws, "/2025-09-09/microvm-images/MyImage/versions/2", "state", "PENDING|IN_PROGRESS");
            assertThat(v2.get("state").asText()).as(v2.toString()).isEqualTo("SUCCESSFUL");
            assertThat(aws.call("GET", "/2025-09-09/microvm-images/MyImage", null).body().get("state").asText()).isEqualTo("UPDATED");

            JsonNode page1 = aws.call("GET", "/2025-09-09/microvm-images/MyImage/versions?maxResults=1", null).body();
            JsonNode page2 = aws.call("GET", "/2025-09-09/microvm-images/MyImage/versions?maxResults=1&nextToken="
                    + page1.get("nextToken").asText(), null).body();
            assertThat(page1.get("items").get(0).get("imageVersion").asText()).isEqualTo("1");
            assertThat(page2.get("items").get(0).get("imageVersion").asText()).isEqualTo("2");
            assertThat(page2.has("nextToken")).isFalse();

            AwsTestClient.Answer inactive = aws.call("PATCH", "/2025-09-09/microvm-images/MyImage/versions/2", Map.of("status", "INACTIVE"));
            assertThat(inactive.body().get("status").asText()).isEqualTo("INACTIVE");
            assertThat(aws.call("GET", "/2025-09-09/microvm-images/MyImage", null).body().get("latestActiveImageVersion").asText()).isEqualTo("1");

            for (int i = 0; i < 2; i++) {
                AwsTestClient.Answer gone = aws.call("DELETE", "/2025-09-09/microvm-images/MyImage/versions/2", null);
                assertThat(gone.status()).as(gone.body().toString()).isEqualTo(200);
                assertThat(gone.body().get("state").asText()).isEqualTo("DELETED");
            }
            assertThat(aws.call("GET", "/2025-09-09/microvm-images/MyImage/versions/2", null).errorType()).isEqualTo("ResourceNotFoundException");
            for (int i = 0; i < 2; i++) {
                AwsTestClient.Answer gone = aws.call("DELETE", "/2025-09-09/microvm-images/" + arn, null);
                assertThat(gone.status()).as(gone.body().toString()).isEqualTo(200);
                assertThat(gone.body().get("state").asText()).isEqualTo("DELETED");
            }
            assertThat(aws.call("GET", "/2025-09-09/microvm-images/" + arn, null).errorType()).isEqualTo("ResourceNotFoundException");
        }
    }

    private static Map<String, Object> request(String uploadId) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("baseImageArn", "arn:aws:lambda:" + REGION + ":aws:microvm-image:minimal");
        r.put("buildRoleArn", "arn:aws:iam::123456789012:role/MicroVMBuildRole");
        r.put("codeArtifact", Map.of("uri", "burrow://uploads/" + uploadId));
        r.put("hooks", Map.of("port", 9000, "microvmImageHooks", Map.of("ready", "ENABLED", "readyTimeoutInSeconds", 120)));
        r.put("resources", List.of(Map.of("minimumMemoryInMiB", 256)));
        r.put("environmentVariables", Map.of("GREETING", "hello"));
        r.put("cpuConfigurations", List.of(Map.of("architecture", "X86_64")));
        return r;
    }

    private static JsonNode version(AwsTestClient aws, String image, int n) throws Exception {
        return aws.call("GET", "/2025-09-09/microvm-images/" + image + "/versions/" + n, null).body();
    }

    /** Polls {@code path} until its {@code field} leaves the states {@code whileIn} matches, or the deadline passes. */
    private static JsonNode await(AwsTestClient aws, String path, String field, String whileIn) throws Exception {
        long deadline = System.nanoTime() + BUILT.toNanos();
        JsonNode body = aws.call("GET", path, null).body();
        while (body.path(field).asText().matches(whileIn) && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            body = aws.call("GET", path, null).body();
        }
        return body;
    }

    /** The code artifact: a Dockerfile on the managed minimal base, a hooks server on 9000 and the app on 8080. */
    private static Path zip(Path target) throws Exception {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("Dockerfile", "FROM minimal\nCOPY app/ /app/\nCMD [\"sh\", \"/app/start.sh\"]\n");
        files.put("app/start.sh", "nc -ll -p 8080 -e sh /app/app.sh &\nexec nc -ll -p 9000 -e sh /app/hook.sh\n");
        files.put("app/hook.sh", HOOK);
        files.put("app/app.sh", APP);
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                out.putNextEntry(new ZipEntry(f.getKey()));
                out.write(f.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return target;
    }
}
