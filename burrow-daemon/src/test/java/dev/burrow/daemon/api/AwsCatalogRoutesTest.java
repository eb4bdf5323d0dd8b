package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.aws.AccountIds;
import dev.burrow.daemon.aws.Arns;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.aws.AwsPrincipal;
import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.EntrypointStatus;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.images.builtin.ManagedBases;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.ImageTags;
import dev.burrow.daemon.store.Principal;
import dev.burrow.daemon.store.SqliteImageStore;
import dev.burrow.daemon.store.Tenants;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog of the AWS door on a real ApiServer and database: managed images from the bases and
 * their published records, tags on the caller's microvm-image ARNs. The signature is not checked
 * here (the Authorization header names the caller); requests carry ARNs percent-encoded as
 * botocore sends them.
 */
class AwsCatalogRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant OFFERED = Instant.parse("2026-12-01T08:00:00Z");
    private static final String REGION = "eu-west-1";

    @TempDir
    Path dir;
    Database db;
    ApiServer server;
    SqliteImageStore adminImages;
    SqliteImageStore aliceImages;
    Principal alice;
    Principal bob;
    final HttpClient http = HttpClient.newHttpClient();

    record Answer(int status, String errorType, JsonNode body) {}

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        String admin = tenants.create("root", null).orElseThrow().id();
        alice = new Principal(tenants.create("alice", null).orElseThrow().id(), "alice", false, "key_a");
        bob = new Principal(tenants.create("bob", null).orElseThrow().id(), "bob", false, "key_b");
        adminImages = new SqliteImageStore(db, admin);
        aliceImages = new SqliteImageStore(db, alice.tenantId());
        Map<String, Principal> callers = Map.of("alice", alice, "bob", bob);
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS);
        server.awsAuthenticator(r -> {
            Principal p = callers.get(r.header("authorization"));
            if (p == null) {
                throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
            }
            return new AwsPrincipal(p, "AKID" + p.tenantName(), REGION);
        });
        new AwsCatalogRoutes(new Api.Catalog(new ImageTags(db), ManagedBases.select(null),
                name -> adminImages.isPublic(name) ? adminImages.versions(name) : List.of(), OFFERED, UnaryOperator.identity()))
                .register(server);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    // ---- managed images ----------------------------------------------------------------------

    @Test
    void everyBaseIsListedInTheCallersRegionDatedByItsPublishedReadyVersions() throws Exception {
        publish("minimal", VersionState.READY, VersionState.READY, VersionState.FAILED);

        Answer a = call("alice", "GET", "/2025-09-09/managed-microvm-images", null);

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().has("nextToken")).isFalse();
        List<String> arns = new ArrayList<>();
        a.body().get("items").forEach(i -> arns.add(i.get("imageArn").asText()));
        assertThat(arns).containsExactly(Arns.managedImage(REGION, "minimal"), Arns.managedImage(REGION, "python"),
                Arns.managedImage(REGION, "node"));
        JsonNode minimal = a.body().get("items").get(0);
        assertThat(minimal.get("createdAt").decimalValue()).isEqualByComparingTo(AwsJson.timestamp(created(1)));
        assertThat(minimal.get("updatedAt").decimalValue()).isEqualByComparingTo(AwsJson.timestamp(updated(2)));
        JsonNode python = a.body().get("items").get(1); // not published: offered since the daemon started
        assertThat(python.get("createdAt").decimalValue()).isEqualByComparingTo(AwsJson.timestamp(OFFERED));
        assertThat(python.has("updatedAt")).isFalse();
    }

    @Test
    void managedImagesPageWithOpaqueTokensAndRefuseForgedOnes() throws Exception {
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            Answer a = call("alice", "GET", "/2025-09-09/managed-microvm-images?maxResults=2"
                    + (token == null ? "" : "&nextToken=" + enc(token)), null);
            assertThat(a.status()).isEqualTo(200);
            a.body().get("items").forEach(i -> seen.add(i.get("imageArn").asText()));
            token = a.body().has("nextToken") ? a.body().get("nextToken").asText() : null;
            pages++;
        } while (token != null && pages < 10);

        assertThat(pages).isEqualTo(2);
        assertThat(seen).hasSize(3).doesNotHaveDuplicates();
        assertThat(call("alice", "GET", "/2025-09-09/managed-microvm-images?nextToken=bm9wZQ", null).errorType())
                .isEqualTo("ValidationException");
        assertThat(call("alice", "GET", "/2025-09-09/managed-microvm-images?maxResults=0", null).errorType())
                .isEqualTo("ValidationException");
        assertThat(call("alice", "GET", "/2025-09-09/managed-microvm-images?maxResults=51", null).body().get("message").asText())
                .contains("maxResults");
    }

    @Test
    void aBasesVersionsAreItsReadyPublishedOnesAvailableWhileActiveByNameOrArnOfAnyRegion() throws Exception {
        publish("python", VersionState.READY, VersionState.FAILED, VersionState.READY);
        ImageVersion first = adminImages.version("python", 1).orElseThrow();
        adminImages.update(withActive(first, false));

        Answer byName = call("alice", "GET", "/2025-09-09/managed-microvm-images/python/versions", null);
        Answer byArn = call("alice", "GET", "/2025-09-09/managed-microvm-images/"
                + enc(Arns.managedImage("us-east-1", "python")) + "/versions", null);

        assertThat(byName.status()).isEqualTo(200);
        assertThat(byArn.body()).isEqualTo(byName.body());
        JsonNode items = byName.body().get("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).get("imageArn").asText()).isEqualTo(Arns.managedImage(REGION, "python"));
        assertThat(items.get(0).get("imageVersion").asText()).isEqualTo("1");
        assertThat(items.get(0).get("status").asText()).isEqualTo("DEPRECATED");
        assertThat(items.get(1).get("imageVersion").asText()).isEqualTo("3");
        assertThat(items.get(1).get("status").asText()).isEqualTo("AVAILABLE");
        assertThat(items.get(1).get("createdAt").decimalValue()).isEqualByComparingTo(AwsJson.timestamp(created(3)));

        Answer page1 = call("alice", "GET", "/2025-09-09/managed-microvm-images/python/versions?maxResults=1", null);
        Answer page2 = call("alice", "GET", "/2025-09-09/managed-microvm-images/python/versions?maxResults=1&nextToken="
                + enc(page1.body().get("nextToken").asText()), null);
        assertThat(page1.body().get("items").get(0).get("imageVersion").asText()).isEqualTo("1");
        assertThat(page2.body().get("items").get(0).get("imageVersion").asText()).isEqualTo("3");
        assertThat(page2.body().has("nextToken")).isFalse();

        Answer unpublished = call("alice", "GET", "/2025-09-09/managed-microvm-images/node/versions", null);
        assertThat(unpublished.status()).isEqualTo(200);
        assertThat(unpublished.body().get("items")).isEmpty();
    }

    @Test
    void anUnknownBaseOrATenantsImageIsNotAManagedImage() throws Exception {
        Answer unknown = call("alice", "GET", "/2025-09-09/managed-microvm-images/ruby/versions", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errorType()).isEqualTo("ResourceNotFoundException");
        assertThat(unknown.body().get("resourceType").asText()).isEqualTo("microvm-image");
        assertThat(unknown.body().get("resourceId").asText()).isEqualTo("ruby");

        String own = Arns.image(REGION, account(alice), "python");
        assertThat(call("alice", "GET", "/2025-09-09/managed-microvm-images/" + enc(own) + "/versions", null).errorType())
                .isEqualTo("ResourceNotFoundException");
        assertThat(call("alice", "GET", "/2025-09-09/managed-microvm-images/" + enc("arn:aws:lambda:x:aws:function:f") + "/versions",
                null).errorType()).isEqualTo("ValidationException");
    }

    // ---- tags --------------------------------------------------------------------------------

    @Test
    void tagsMergeListSortedAndUntagIgnoresAbsentKeys() throws Exception {
        String arn = ownImage("web");

        Answer tagged = call("alice", "POST", tagsPath(arn), Map.of("Tags", Map.of("team", "core", "env", "prod")));
        assertThat(tagged.status()).isEqualTo(204);
        assertThat(call("alice", "POST", tagsPath(arn), Map.of("Tags", Map.of("env", "dev", "cost", ""))).status()).isEqualTo(204);
        assertThat(fieldNames(call("alice", "GET", tagsPath(arn), null).body().get("Tags"))).containsExactly("cost", "env", "team");

        Answer untagged = call("alice", "DELETE", tagsPath(arn) + "?tagKeys=env&tagKeys=never&tagKeys=" + enc("cost"), null);
        assertThat(untagged.status()).isEqualTo(204);
        assertThat(call("alice", "GET", tagsPath(arn), null).body())
                .isEqualTo(JSON.readTree("{\"Tags\":{\"team\":\"core\"}}"));
    }

    @Test
    void anImageWithoutTagsListsAnEmptyMap() throws Exception {
        Answer a = call("alice", "GET", tagsPath(ownImage("web")), null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body()).isEqualTo(JSON.readTree("{\"Tags\":{}}"));
    }

    @Test
    @Tag("hostile")
    void anotherAccountsImageAndAnAbsentOneAreNotFoundForEveryTagCall() throws Exception {
        String arn = ownImage("web");
        call("alice", "POST", tagsPath(arn), Map.of("Tags", Map.of("team", "core")));

        for (Answer a : List.of(call("bob", "GET", tagsPath(arn), null),
                call("bob", "POST", tagsPath(arn), Map.of("Tags", Map.of("team", "bob"))),
                call("bob", "DELETE", tagsPath(arn) + "?tagKeys=team", null),
                call("alice", "GET", tagsPath(Arns.image(REGION, account(alice), "absent")), null))) {
            assertThat(a.status()).isEqualTo(404);
            assertThat(a.errorType()).isEqualTo("ResourceNotFoundException");
            assertThat(a.body().get("resourceType").asText()).isEqualTo("microvm-image");
        }
        // bob naming the image in his own account finds nothing of alice's either
        assertThat(call("bob", "GET", tagsPath(Arns.image(REGION, account(bob), "web")), null).status()).isEqualTo(404);
        assertThat(call("alice", "GET", tagsPath(arn), null).body().get("Tags").get("team").asText()).isEqualTo("core");
    }

    @Test
    void onlyMicrovmImageArnsOfAnAccountAreTaggable() throws Exception {
        for (String arn : List.of("arn:aws:lambda:eu-west-1:" + account(alice) + ":function:f",
                "arn:aws:lambda:eu-west-1:" + account(alice) + ":layer:l", "not-an-arn",
                Arns.managedImage(REGION, "python"))) {
            Answer a = call("alice", "GET", tagsPath(arn), null);
            assertThat(a.status()).as(arn).isEqualTo(400);
            assertThat(a.errorType()).as(arn).isEqualTo("ValidationException");
            assertThat(a.body().get("message").asText()).as(arn).contains("microvm-image ARNs");
        }
    }

    @Test
    @Tag("hostile")
    void tagsAgainstAwsRulesAreInvalidParameterValuesAndWriteNothing() throws Exception {
        String arn = ownImage("web");
        Map<String, String> tooMany = new LinkedHashMap<>();
        for (int i = 0; i <= ImageTags.MAX_TAGS; i++) {
            tooMany.put("k" + i, "v");
        }
        for (Map<String, String> bad : List.of(Map.of("aws:owner", "x"), Map.of("k".repeat(129), "x"), Map.of("ok", "bad;value"),
                tooMany)) {
            Answer a = call("alice", "POST", tagsPath(arn), Map.of("Tags", bad));
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.errorType()).isEqualTo("InvalidParameterValueException");
            assertThat(a.body().get("Type").asText()).isEqualTo("User");
        }
        assertThat(call("alice", "GET", tagsPath(arn), null).body().get("Tags")).isEmpty();

        assertThat(call("alice", "POST", tagsPath(arn), Map.of()).errorType()).isEqualTo("ValidationException");
        assertThat(call("alice", "POST", tagsPath(arn), Map.of("Tags", Map.of("a", "b"), "Extra", 1)).errorType())
                .isEqualTo("ValidationException");
        assertThat(call("alice", "DELETE", tagsPath(arn), null).body().get("message").asText()).contains("tagKeys");
        assertThat(call("alice", "DELETE", tagsPath(arn) + "?tagKeys=", null).errorType()).isEqualTo("ValidationException");
    }

    @Test
    @Tag("hostile")
    void overlongIdentifiersAreValidationExceptionsNamingTheLimit() throws Exception {
        Answer resource = call("alice", "GET", "/2017-03-31/tags/" + "a".repeat(AwsCatalogRoutes.MAX_RESOURCE + 1), null);
        Answer image = call("alice", "GET", "/2025-09-09/managed-microvm-images/" + "p".repeat(AwsCatalogRoutes.MAX_IMAGE_IDENTIFIER + 1)
                + "/versions", null);

        assertThat(resource.errorType()).isEqualTo("ValidationException");
        assertThat(resource.body().get("message").asText()).contains("10000");
        assertThat(image.errorType()).isEqualTo("ValidationException");
        assertThat(image.body().get("message").asText()).contains("256");
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Publishes the base {@code name} as the admin tenant's public image with one version per state. */
    private void publish(String name, VersionState... states) {
        for (int i = 0; i < states.length; i++) {
            ImageVersion v = version(name, i + 1, states[i]);
            if (i == 0) {
                adminImages.createImage(v);
            } else {
                adminImages.addVersion(v);
            }
        }
        adminImages.setPublic(name, true);
    }

    private String ownImage(String name) {
        aliceImages.createImage(version(name, 1, VersionState.FAILED));
        return Arns.image(REGION, account(alice), name);
    }

    private static ImageVersion version(String image, int n, VersionState state) {
        return new ImageVersion(image, n, state, null, true, BuildSettings.NONE.withDefaults(), "path:/x", created(n), updated(n),
                EntrypointStatus.NONE, Map.of(), null, null);
    }

    private static ImageVersion withActive(ImageVersion v, boolean active) {
        return new ImageVersion(v.image(), v.version(), v.state(), v.stateReason(), active, v.settings(), v.source(), v.createdAt(),
                v.updatedAt(), v.entrypoint(), v.phasesMillis(), v.templateDir(), v.buildLog());
    }

    private static Instant created(int version) {
        return Instant.parse("2026-11-0" + version + "T10:00:00.250Z");
    }

    private static Instant updated(int version) {
        return created(version).plusSeconds(30);
    }

    private static String account(Principal p) {
        return AccountIds.of(p.tenantId());
    }

    private static String tagsPath(String arn) {
        return "/2017-03-31/tags/" + enc(arn);
    }

    /** As botocore encodes a URI label or a query value: everything but unreserved characters. */
    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    private Answer call(String caller, String method, String path, Object body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, publisher).header("Authorization", caller).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        return new Answer(r.statusCode(), r.headers().firstValue("x-amzn-ErrorType").orElse(null), json);
    }
}
