package dev.burrow.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.aws.AwsAuthenticator;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.aws.AwsPrincipal;
import dev.burrow.daemon.store.Principal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Calls the AWS door of a {@link TestDaemon} as a tenant, for route tests that do not test
 * signatures: {@link #trusting} is an authenticator that reads the access key id and region from
 * the Authorization header's credential scope and skips the signature (the SigV4 tests and the
 * boto3 conformance group check that part). Responses come back as status, error type and JSON.
 */
final class AwsTestClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern SCOPE = Pattern.compile("Credential=([A-Z0-9]+)/[0-9]{8}/([a-z0-9-]+)/lambda/aws4_request");

    /** An answer: HTTP status, {@code x-amzn-ErrorType} (null on success) and the JSON body (empty object when none). */
    record Answer(int status, String errorType, JsonNode body) {}

    private final String base;
    private final String accessKeyId;
    private final String region;

    AwsTestClient(String base, String accessKeyId, String region) {
        this.base = base;
        this.accessKeyId = accessKeyId;
        this.region = region;
    }

    /** Access key id → principal; no signature check. */
    static AwsAuthenticator trusting(Map<String, Principal> byAccessKey) {
        Map<String, Principal> keys = new ConcurrentHashMap<>(byAccessKey);
        return r -> {
            String auth = r.header("authorization");
            Matcher m = auth == null ? null : SCOPE.matcher(auth);
            if (m == null || !m.find() || !keys.containsKey(m.group(1))) {
                throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
            }
            return new AwsPrincipal(keys.get(m.group(1)), m.group(1), m.group(2));
        };
    }

    Answer call(String method, String path, Object body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, publisher)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + accessKeyId + "/20261201/" + region
                        + "/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
                .header("X-Amz-Date", "20261201T000000Z");
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        return new Answer(r.statusCode(), r.headers().firstValue("x-amzn-ErrorType").orElse(null), json);
    }
}
