package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.aws.SigV4;
import dev.burrow.daemon.store.AwsCredentials;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AWS credentials end to end on a real burrowd: created beside an API key by the admin API,
 * shown once, listed by access key id, and accepted by the Lambda MicroVMs door only in a
 * correctly signed request while the key lives.
 */
@Tag("security")
class AwsCredentialsApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> AUTH_ERRORS = List.of("MissingAuthenticationTokenException", "IncompleteSignatureException",
            "UnrecognizedClientException", "InvalidSignatureException");
    private static final ApiContract CONTRACT = ApiContract.get();
    private static TestDaemon daemon;
    private static KeyClient admin;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("aws-credentials");
        admin = new KeyClient(daemon.base, daemon.key);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** A request signed as botocore signs it (host and x-amz-date signed, the body hashed). */
    private static HttpResponse<String> signed(String method, String path, String body, String accessKeyId, String secret, Instant at)
            throws Exception {
        URI uri = URI.create(daemon.base + path);
        String amzDate = SigV4.amzDate(at);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Map<String, List<String>> headers = Map.of("host", List.of(uri.getHost() + ":" + uri.getPort()), "x-amz-date", List.of(amzDate));
        SigV4.Request r = new SigV4.Request(method, uri.getRawPath(), uri.getRawQuery(), headers, List.of("host", "x-amz-date"),
                SigV4.sha256Hex(bytes));
        String authorization = SigV4.sign(r, amzDate, new SigV4.Scope(amzDate.substring(0, 8), "eu-west-1", "lambda"), accessKeyId, secret);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(method, bytes.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes))
                .header("X-Amz-Date", amzDate).header("Authorization", authorization);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String errorType(HttpResponse<String> r) {
        return r.headers().firstValue("x-amzn-ErrorType").orElse(null);
    }

    @Test
    void anAwsKeyIsShownOnceListedByAccessKeyIdAndOpensTheDoorUntilRevoked() throws Exception {
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"aws-team\"}", 201);
        JsonNode created = admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"aws-team\",\"aws\":true}", 201);
        String id = created.get("id").asText();
        String accessKeyId = created.get("aws").get("accessKeyId").asText();
        String secret = created.get("aws").get("secretAccessKey").asText();
        assertThat(accessKeyId).matches("AKIA[A-Z2-7]{16}");
        assertThat(secret).hasSize(40);
        assertThat(created.get("key").asText()).startsWith("bk_");
        assertThat(CONTRACT.validateRequest("POST", "/v1/admin/keys", JSON.readTree("{\"tenant\":\"aws-team\",\"aws\":true}")))
                .as("request against openapi.yaml").isEmpty();
        assertThat(CONTRACT.validateResponse("POST", "/v1/admin/keys", 201, "application/json", created)).as("against openapi.yaml").isEmpty();

        JsonNode listed = admin.call("GET", "/v1/admin/keys?tenant=aws-team", null, 200).get("items").get(0);
        assertThat(listed.get("awsAccessKeyId").asText()).isEqualTo(accessKeyId);
        assertThat(listed.toString()).doesNotContain(secret);
        assertThat(CONTRACT.validateResponse("GET", "/v1/admin/keys", 200, "application/json",
                admin.call("GET", "/v1/admin/keys?tenant=aws-team", null, 200))).as("against openapi.yaml").isEmpty();
        JsonNode one = admin.call("GET", "/v1/admin/keys/" + id, null, 200);
        assertThat(one.get("awsAccessKeyId").asText()).isEqualTo(accessKeyId);
        assertThat(one.toString()).doesNotContain(secret);
        assertThat(admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"aws-team\"}", 201).has("aws")).isFalse();

        // an ARN in the path: Jetty must hand over the path as sent for its %3A to be signed as %253A
        for (String path : List.of("/2025-09-09/microvms?maxResults=5",
                "/2025-09-09/microvm-images/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Amicrovm-image%3Anone")) {
            HttpResponse<String> ok = signed("GET", path, "", accessKeyId, secret, Instant.now());
            assertThat(errorType(ok)).as("%s: %s", path, ok.body()).isNotIn(AUTH_ERRORS);
        }
        HttpResponse<String> post = signed("POST", "/2025-09-09/microvms", "{\"imageIdentifier\":\"none\"}", accessKeyId, secret, Instant.now());
        assertThat(errorType(post)).as(post.body()).isNotIn(AUTH_ERRORS);

        admin.call("DELETE", "/v1/admin/keys/" + id, null, 204);
        HttpResponse<String> revoked = signed("GET", "/2025-09-09/microvms", "", accessKeyId, secret, Instant.now());
        assertThat(revoked.statusCode()).isEqualTo(403);
        assertThat(errorType(revoked)).isEqualTo("UnrecognizedClientException");
    }

    @Test
    @Tag("hostile")
    void aWrongSecretOrAStaleClockIsRefusedInAwsErrorShape() throws Exception {
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"aws-other\"}", 201);
        JsonNode aws = admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"aws-other\",\"aws\":true}", 201).get("aws");
        String accessKeyId = aws.get("accessKeyId").asText();
        String secret = aws.get("secretAccessKey").asText();
        HttpResponse<String> wrong = signed("GET", "/2025-09-09/microvms", "", accessKeyId, secret.substring(1) + "x", Instant.now());
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(errorType(wrong)).isEqualTo("InvalidSignatureException");
        assertThat(JSON.readTree(wrong.body()).get("message").asText()).contains("does not match").doesNotContain(secret);
        HttpResponse<String> stale = signed("GET", "/2025-09-09/microvms", "", accessKeyId, secret, Instant.now().minus(Duration.ofMinutes(10)));
        assertThat(errorType(stale)).isEqualTo("InvalidSignatureException");
        assertThat(JSON.readTree(stale.body()).get("message").asText()).startsWith("Signature expired:");
        HttpResponse<String> bearer = new KeyClient(daemon.base, daemon.key).send("GET", "/2025-09-09/microvms", (String) null);
        assertThat(errorType(bearer)).isEqualTo("IncompleteSignatureException");
    }

    @Test
    @Tag("hostile")
    void theAwsKeyFileIsOwnerOnlyAndAFaultyAwsFieldIsRefusedByName() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.dataDir.resolve(AwsCredentials.KEY_FILE))))
                .isEqualTo("rw-------");
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"aws-faulty\"}", 201);
        JsonNode p = admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"aws-faulty\",\"aws\":\"yes\"}", 400);
        assertThat(p.toString()).contains("aws must be true or false");
        assertThat(admin.call("GET", "/v1/admin/keys?tenant=aws-faulty", null, 200).get("items")).isEmpty();
    }
}
