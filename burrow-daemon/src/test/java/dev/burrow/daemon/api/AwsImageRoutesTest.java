package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.aws.AccountIds;
import dev.burrow.daemon.aws.AwsPrincipal;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.InMemoryImageStore;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.IdempotencyKeys;
import dev.burrow.daemon.store.Principal;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Uploads;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.dockerfile.ContextLimits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image routes on a real ApiServer and ImageService whose builds cannot run (no engine, no
 * Dockerfile resolver: every version FAILS at once with its reason), so the mapping — states,
 * tags, paging, errors — is tested in milliseconds; AwsImagesDaemonTest builds for real.
 */
class AwsImageRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REGION = "eu-west-1";
    private static final Duration FAILED = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    Database db;
    ApiServer server;
    ImageService images;
    Uploads uploads;
    final Map<String, Map<String, String>> tags = new ConcurrentHashMap<>();
    final AtomicReference<Principal> caller = new AtomicReference<>();
    final HttpClient http = HttpClient.newHttpClient();
    Principal alice;
    Principal bob;
    String uploadId;

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        alice = new Principal(tenants.create("alice", null).orElseThrow().id(), "alice", false, "key_a");
        bob = new Principal(tenants.create("bob", null).orElseThrow().id(), "bob", false, "key_b");
        caller.set(alice);
        uploads = new Uploads(db);
        images = new ImageService("alice", new InMemoryImageStore(), null, dir, dir.resolve("alice"),
                new BlobStore(Files.createDirectories(dir.resolve("blobs"))), null, null, 1);
        ImageService bobs = new ImageService("bob", new InMemoryImageStore(), null, dir, dir.resolve("bob"),
                new BlobStore(Files.createDirectories(dir.resolve("blobs-b"))), null, null, 1);
        AwsImageRoutes.Tagging tagging = new AwsImageRoutes.Tagging() {
            @Override
            public Map<String, String> tags(String tenantId, String image) {
                return tags.getOrDefault(tenantId + "/" + image, Map.of());
            }

            @Override
            public void tag(String tenantId, String image, Map<String, String> t) {
                tags.merge(tenantId + "/" + image, t, (a, b) -> {
                    Map<String, String> m = new LinkedHashMap<>(a);
                    m.putAll(b);
                    return m;
                });
            }
        };
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS);
        server.awsAuthenticator(r -> new AwsPrincipal(caller.get(), "AKID", REGION));
        new AwsImageRoutes(t -> t.equals(alice.tenantId()) ? images : bobs, uploads,
                new AwsCodeArtifacts(uploads, dir.resolve("uploads"), null, 1 << 20, Duration.ofHours(1), ContextLimits.DEFAULT),
                null, new IdempotencyKeys(db), tagging).register(server);
        server.start();
        uploadId = upload(alice.tenantId());
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        images.close();
        db.close();
    }

    private String upload(String tenant) throws Exception {
        Path z = dir.resolve("app-" + tenant + ".zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(z))) {
            out.putNextEntry(new ZipEntry("Dockerfile"));
            out.write("FROM minimal\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        String id = "up" + tenant.replaceAll("[^a-z0-9]", "").toLowerCase();
        uploads.record(id, tenant, z.toString(), Files.size(z), "", Instant.now().plusSeconds(3600));
        return id;
    }

    record Answer(int status, String errorType, JsonNode body) {}

    private Answer call(String method, String path, Object body) throws Exception {
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).method(method, p).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.headers().firstValue("x-amzn-ErrorType").orElse(null),
                r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body()));
    }

    private Map<String, Object> create(String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("baseImageArn", "minimal");
        r.put("buildRoleArn", "arn:aws:iam::123456789012:role/build");
        r.put("codeArtifact", Map.of("uri", "burrow://uploads/" + uploadId));
        return r;
    }

    /** Polls GetMicrovmImage until the image leaves CREATING (here: the build fails at once). */
    private JsonNode settled(String name) throws Exception {
        long deadline = System.nanoTime() + FAILED.toNanos();
        JsonNode image = call("GET", "/2025-09-09/microvm-images/" + name, null).body();
        while (image.path("state").asText().equals("CREATING") && System.nanoTime() < deadline) {
            images.await(AwsImageNames.toBurrow(name), 1, Duration.ofMillis(100));
            image = call("GET", "/2025-09-09/microvm-images/" + name, null).body();
        }
        return image;
    }

    @Test
    void tagsGivenAtCreateAreKeptUnderTheCallersSpellingAndAnswered() throws Exception {
        Map<String, Object> req = create("MyImage");
        req.put("tags", Map.of("team", "web"));

        Answer created = call("POST", "/2025-09-09/microvm-images", req);

        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        assertThat(tags).containsKey(alice.tenantId() + "/MyImage");
        assertThat(created.body().get("tags").get("team").asText()).isEqualTo("web");
        assertThat(call("GET", "/2025-09-09/microvm-images/MyImage", null).body().get("tags").get("team").asText()).isEqualTo("web");
    }

    @Test
    void aFailedFirstBuildIsCreateFailedWithTheReasonOnTheVersionAndItsBuild() throws Exception {
        call("POST", "/2025-09-09/microvm-images", create("app"));

        JsonNode image = settled("app");

        assertThat(image.get("state").asText()).isEqualTo("CREATE_FAILED");
        assertThat(image.get("latestFailedImageVersion").asText()).isEqualTo("1");
        assertThat(image.has("latestActiveImageVersion")).isFalse();
        JsonNode v = call("GET", "/2025-09-09/microvm-images/app/versions/1", null).body();
        assertThat(v.get("state").asText()).isEqualTo("FAILED");
        assertThat(v.get("stateReason").asText()).contains("cannot build dockerfile");
        JsonNode build = call("GET", "/2025-09-09/microvm-images/app/versions/1/builds/build-1", null).body();
        assertThat(build.get("buildState").asText()).isEqualTo("FAILED");
        assertThat(build.get("stateReason").asText()).isEqualTo(v.get("stateReason").asText());
        assertThat(build.has("snapshotBuild")).isFalse();
        assertThat(call("GET", "/2025-09-09/microvm-images/app/versions/1/builds/build-9", null).errorType())
                .isEqualTo("ResourceNotFoundException");
    }

    @Test
    void aSecondVersionThatFailsMakesTheImageUpdateFailed() throws Exception {
        call("POST", "/2025-09-09/microvm-images", create("app"));
        settled("app");
        Map<String, Object> update = create("app");
        update.remove("name");

        Answer updated = call("PUT", "/2025-09-09/microvm-images/app", update);

        assertThat(updated.status()).as(updated.body().toString()).isEqualTo(200);
        assertThat(updated.body().get("imageVersion").asText()).isEqualTo("2");
        images.await("app", 2, FAILED);
        JsonNode image = call("GET", "/2025-09-09/microvm-images/app", null).body();
        assertThat(image.get("state").asText()).isEqualTo("UPDATE_FAILED");
        assertThat(image.get("latestFailedImageVersion").asText()).isEqualTo("2");
    }

    @Test
    void imagesArePagedByMaxResultsAndNextToken() throws Exception {
        for (String n : List.of("a1", "a2", "a3")) {
            assertThat(call("POST", "/2025-09-09/microvm-images", create(n)).status()).isEqualTo(201);
        }

        JsonNode first = call("GET", "/2025-09-09/microvm-images?maxResults=2", null).body();
        JsonNode second = call("GET", "/2025-09-09/microvm-images?maxResults=2&nextToken=" + first.get("nextToken").asText(), null).body();

        assertThat(first.get("items")).extracting(i -> i.get("name").asText()).containsExactly("a1", "a2");
        assertThat(second.get("items")).extracting(i -> i.get("name").asText()).containsExactly("a3");
        assertThat(second.has("nextToken")).isFalse();
        assertThat(call("GET", "/2025-09-09/microvm-images?maxResults=51", null).errorType()).isEqualTo("ValidationException");
    }

    @Test
    void theSameNameTwiceIsAConflictNamingTheImage() throws Exception {
        call("POST", "/2025-09-09/microvm-images", create("app"));

        Answer again = call("POST", "/2025-09-09/microvm-images", create("app"));

        assertThat(again.status()).isEqualTo(409);
        assertThat(again.errorType()).isEqualTo("ConflictException");
        assertThat(again.body().get("resourceId").asText()).isEqualTo("arn:aws:lambda:" + REGION + ":" + AccountIds.of(alice.tenantId())
                + ":microvm-image:app");
    }

    @Test
    void anotherAccountsImageIsNotFoundByArnOrName() throws Exception {
        call("POST", "/2025-09-09/microvm-images", create("app"));
        String arn = "arn:aws:lambda:" + REGION + ":" + AccountIds.of(alice.tenantId()) + ":microvm-image:app";
        caller.set(bob);

        assertThat(call("GET", "/2025-09-09/microvm-images/" + arn, null).errorType()).isEqualTo("ResourceNotFoundException");
        assertThat(call("GET", "/2025-09-09/microvm-images/app", null).errorType()).isEqualTo("ResourceNotFoundException");
        Map<String, Object> update = create("app");
        update.remove("name");
        assertThat(call("PUT", "/2025-09-09/microvm-images/app", update).status()).isEqualTo(404);
        // bob's own artifact is not alice's upload
        assertThat(call("POST", "/2025-09-09/microvm-images", create("mine")).body().get("message").asText())
                .contains("no upload " + uploadId);
    }

    @Test
    void anArnPercentEncodedAsBotocoreSendsItNamesTheImage() throws Exception {
        call("POST", "/2025-09-09/microvm-images", create("MyImage"));
        String arn = "arn:aws:lambda:" + REGION + ":" + AccountIds.of(alice.tenantId()) + ":microvm-image:MyImage";

        Answer a = call("GET", "/2025-09-09/microvm-images/" + arn.replace(":", "%3A"), null);

        assertThat(a.status()).as(a.body().toString()).isEqualTo(200);
        assertThat(a.body().get("imageArn").asText()).isEqualTo(arn);
        assertThat(a.body().get("name").asText()).isEqualTo("MyImage");
    }

    @Test
    void aManagedBaseIsNotAnImageOfTheCallers() throws Exception {
        Answer a = call("GET", "/2025-09-09/microvm-images/arn:aws:lambda:us-east-1:aws:microvm-image:minimal", null);

        assertThat(a.errorType()).isEqualTo("ValidationException");
        assertThat(a.body().get("message").asText()).contains("is a managed base image");
    }

    @Test
    void aFileArtifactFromANonAdminKeyIsAccessDenied() throws Exception {
        Map<String, Object> req = create("app");
        req.put("codeArtifact", Map.of("uri", dir.resolve("app-" + alice.tenantId() + ".zip").toUri().toString()));

        Answer a = call("POST", "/2025-09-09/microvm-images", req);

        assertThat(a.status()).isEqualTo(403);
        assertThat(a.errorType()).isEqualTo("AccessDeniedException");
    }

    @Test
    void anUnknownMemberIsAValidationExceptionNamingIt() throws Exception {
        Map<String, Object> req = create("app");
        req.put("imageName", "x");

        Answer a = call("POST", "/2025-09-09/microvm-images", req);

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.errorType()).isEqualTo("ValidationException");
        assertThat(a.body().get("message").asText()).contains("imageName");
    }

    @Test
    void deletingAnImageThatIsNotThereAnswersDeleted() throws Exception {
        Answer a = call("DELETE", "/2025-09-09/microvm-images/never-made", null);

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("state").asText()).isEqualTo("DELETED");
        assertThat(a.body().get("imageIdentifier").asText()).isEqualTo("never-made");
        assertThat(call("DELETE", "/2025-09-09/microvm-images/never-made/versions/x", null).errorType()).isEqualTo("ValidationException");
    }
}
