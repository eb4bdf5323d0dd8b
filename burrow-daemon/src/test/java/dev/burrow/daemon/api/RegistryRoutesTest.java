package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.registries.RegistryCredentials;
import dev.burrow.daemon.registries.RegistryLogin;
import dev.burrow.daemon.registries.SecretBox;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /v1/registries} over a real API server and database: write-only secrets, per tenant, every faulty field named. */
class RegistryRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiContract CONTRACT = ApiContract.get();
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String PASSWORD = "s3cret-Password-never-shown";
    private static final String TOKEN = "eyJ-registry-token-never-shown";

    @TempDir
    Path dir;

    Database db;
    ApiServer server;
    RegistryCredentials creds;
    String keyA;
    String keyB;
    String tenantA;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        ApiKeys keys = new ApiKeys(db);
        Tenants tenants = new Tenants(db);
        tenantA = tenants.create("a", null).orElseThrow().id();
        keyA = keys.create(tenantA, false);
        keyB = keys.create(tenants.create("b", null).orElseThrow().id(), false);
        creds = new RegistryCredentials(db, SecretBox.open(dir), Clock.systemUTC());
        server = new ApiServer("127.0.0.1", 0, keys, ApiLimits.DEFAULTS);
        new RegistryRoutes(creds).register(server);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        db.close();
    }

    private HttpResponse<String> call(String method, String path, String body, String key) throws Exception {
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .method(method, p).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode checked(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(r.body());
        String type = r.headers().firstValue("Content-Type").orElse("").split(";")[0];
        assertThat(CONTRACT.validateResponse(r.request().method(), r.request().uri().getPath(), status, type, body))
                .as("response against openapi.yaml").isEmpty();
        return body;
    }

    private static String put(String body) throws Exception {
        assertThat(CONTRACT.validateRequest("PUT", "/v1/registries/{host}", JSON.readTree(body))).as(body).isEmpty();
        return body;
    }

    @Test
    void aPutShowsKindAndUserButNeverTheSecretAndThePullSeesIt() throws Exception {
        JsonNode stored = checked(call("PUT", "/v1/registries/127.0.0.1:5000",
                put("{\"username\":\"alice\",\"password\":\"" + PASSWORD + "\"}"), keyA), 200);
        assertThat(stored.get("host").asText()).isEqualTo("127.0.0.1:5000");
        assertThat(stored.get("kind").asText()).isEqualTo("basic");
        assertThat(stored.get("username").asText()).isEqualTo("alice");
        checked(call("PUT", "/v1/registries/ghcr.io", put("{\"token\":\"" + TOKEN + "\"}"), keyA), 200);
        HttpResponse<String> one = call("GET", "/v1/registries/127.0.0.1:5000", null, keyA);
        HttpResponse<String> list = call("GET", "/v1/registries", null, keyA);
        JsonNode items = checked(list, 200).get("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).get("host").asText()).isEqualTo("127.0.0.1:5000");
        assertThat(items.get(1).get("kind").asText()).isEqualTo("token");
        assertThat(items.get(1).get("username").isNull()).isTrue();
        for (HttpResponse<String> r : List.of(one, list)) {
            assertThat(r.body()).doesNotContain(PASSWORD).doesNotContain(TOKEN);
        }
        checked(one, 200);
        assertThat(creds.login(tenantA, "127.0.0.1:5000")).contains(RegistryLogin.basic("alice", PASSWORD));
    }

    @Test
    void anotherTenantGets404ForEveryCallOnAHostItHasNoLoginFor() throws Exception {
        checked(call("PUT", "/v1/registries/r.example", put("{\"token\":\"" + TOKEN + "\"}"), keyA), 200);
        checked(call("GET", "/v1/registries/r.example", null, keyB), 404);
        checked(call("DELETE", "/v1/registries/r.example", null, keyB), 404);
        assertThat(checked(call("GET", "/v1/registries", null, keyB), 200).get("items")).isEmpty();
        assertThat(call("GET", "/v1/registries/r.example", null, keyA).statusCode()).isEqualTo(200);
    }

    @Test
    void logoutForgetsTheLogin() throws Exception {
        checked(call("PUT", "/v1/registries/r.example", put("{\"token\":\"" + TOKEN + "\"}"), keyA), 200);
        assertThat(call("DELETE", "/v1/registries/r.example", null, keyA).statusCode()).isEqualTo(204);
        checked(call("GET", "/v1/registries/r.example", null, keyA), 404);
        checked(call("DELETE", "/v1/registries/r.example", null, keyA), 404);
    }

    @Tag("hostile")
    @Test
    void everyFaultyFieldIsNamedAndNoSecretIsEchoed() throws Exception {
        JsonNode p = checked(call("PUT", "/v1/registries/r_bad.example",
                "{\"username\":\"a:b\",\"password\":\"" + PASSWORD + "\\n\"}", keyA), 400);
        List<String> fields = new ArrayList<>();
        p.get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("host", "username", "password");
        assertThat(p.toString()).doesNotContain(PASSWORD);

        JsonNode both = checked(call("PUT", "/v1/registries/r.example",
                "{\"username\":\"a\",\"password\":\"" + PASSWORD + "\",\"token\":\"" + TOKEN + "\"}", keyA), 400);
        assertThat(both.get("detail").asText()).contains("not both");
        assertThat(both.toString()).doesNotContain(PASSWORD).doesNotContain(TOKEN);

        assertThat(checked(call("PUT", "/v1/registries/r.example", "{\"password\":\"" + PASSWORD + "\"}", keyA), 400)
                .get("field").asText()).isEqualTo("username");
        assertThat(checked(call("PUT", "/v1/registries/r.example", "{}", keyA), 400).get("detail").asText())
                .contains("username and password").contains("token");
        JsonNode unknown = checked(call("PUT", "/v1/registries/r.example", "{\"token\":\"" + TOKEN + "\",\"email\":\"x\"}", keyA), 400);
        assertThat(unknown.get("field").asText()).isEqualTo("email");
        assertThat(unknown.toString()).doesNotContain(TOKEN);
        JsonNode longToken = checked(call("PUT", "/v1/registries/r.example",
                "{\"token\":\"" + "t".repeat(RegistryRoutes.MAX_SECRET_CHARS + 1) + "\"}", keyA), 400);
        assertThat(longToken.get("field").asText()).isEqualTo("token");
        assertThat(creds.list(tenantA)).isEmpty();
    }

    @Test
    void aBadHostInTheGetOrDeletePathIsA400() throws Exception {
        assertThat(checked(call("GET", "/v1/registries/r.example:99999", null, keyA), 400).get("field").asText()).isEqualTo("host");
        assertThat(checked(call("DELETE", "/v1/registries/bad_host", null, keyA), 400).get("field").asText()).isEqualTo("host");
    }
}
