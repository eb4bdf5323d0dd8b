package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.aws.AwsAuthenticator;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.aws.AwsPrincipal;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Principal;
import dev.burrow.daemon.store.Tenants;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AWS door's own rules on a real ApiServer: who authenticates its routes and the shape every error leaves in. */
class AwsDoorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Database db;
    ApiServer server;
    final HttpClient http = HttpClient.newHttpClient();
    final AtomicReference<AwsAuthenticator> auth = new AtomicReference<>(AwsAuthenticator.refuseAll());
    Principal alice;

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        Tenants tenants = new Tenants(db);
        alice = new Principal(tenants.create("alice", null).orElseThrow().id(), "alice", false, "key_1");
        server = new ApiServer("127.0.0.1", 0, new ApiKeys(db), ApiLimits.DEFAULTS);
        server.awsAuthenticator(r -> auth.get().authenticate(r));
        server.awsRoute("GET", "/2025-09-09/microvms/{microvmIdentifier}", c -> {
            if (c.param("microvmIdentifier").equals("gone")) {
                throw new NotFoundException("microVM gone was not found");
            }
            c.sendAws(200, Map.of("microvmId", c.param("microvmIdentifier"), "account", c.aws.accountId(), "region", c.aws.region()));
        });
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRefusedSignatureAnswersAwsErrorShapeNotProblemJson() throws Exception {
        HttpResponse<String> r = get("/2025-09-09/microvms/m1");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("UnrecognizedClientException");
        assertThat(r.headers().firstValue("x-amzn-RequestId")).isPresent();
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(JSON.readTree(r.body()).get("message").asText()).contains("security token");
    }

    @Test
    void anAuthenticatedCallerReachesTheHandlerWithItsAccountAndRegion() throws Exception {
        auth.set(r -> new AwsPrincipal(alice, "AKIDALICE", "eu-west-1"));
        JsonNode body = JSON.readTree(get("/2025-09-09/microvms/m1").body());
        assertThat(body.get("microvmId").asText()).isEqualTo("m1");
        assertThat(body.get("account").asText()).matches("[0-9]{12}");
        assertThat(body.get("region").asText()).isEqualTo("eu-west-1");
    }

    @Test
    void aServiceFailureBecomesTheModelsDeclaredErrorType() throws Exception {
        auth.set(r -> new AwsPrincipal(alice, "AKIDALICE", "us-east-1"));
        HttpResponse<String> r = get("/2025-09-09/microvms/gone");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("ResourceNotFoundException");
        assertThat(JSON.readTree(r.body()).get("message").asText()).isEqualTo("microVM gone was not found");
    }

    @Test
    void anUnknownPathUnderTheDoorIsAnUnknownOperationInAwsShape() throws Exception {
        HttpResponse<String> r = get("/2025-09-09/no-such-thing");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("UnknownOperationException");
    }

    @Test
    void aPathJettyRefusesBeforeRoutingStillAnswersInAwsShape() throws Exception {
        HttpResponse<String> r = get("/2025-09-09/microvms/a%2Fb");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("ValidationException");
        assertThat(JSON.readTree(r.body()).has("message")).isTrue();
    }

    @Test
    void anUnexpectedFailureLeaksNoTextOnlyTheRequestId() {
        AwsError e = AwsErrors.from(new IllegalStateException("/var/lib/burrow/secret path"), "req_1");
        assertThat(e.code()).isEqualTo("InternalServerException");
        assertThat(e.getMessage()).doesNotContain("secret").contains("req_1");
    }
}
