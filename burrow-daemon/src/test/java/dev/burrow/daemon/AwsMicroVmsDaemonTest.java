package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.aws.AccountIds;
import dev.burrow.daemon.store.Principal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The microVM operations of the Lambda MicroVMs door on a real burrowd with a busybox image:
 * run with an idle policy, get, an auth token answered by busybox httpd through the endpoint,
 * suspend and the auto-resume by traffic, clientToken replays, pagination, another tenant, the
 * shell token on the PTY WebSocket, terminate twice. Signatures are not checked here
 * ({@link AwsTestClient#trusting}); the conformance group drives the same calls with boto3.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AwsMicroVmsDaemonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String REGION = "eu-west-1";
    private static final String CONNECTOR = "arn:aws:lambda:" + REGION + ":aws:network-connector:aws-network-connector:";
    private static final String PAGE = "hello from a Lambda MicroVMs client";

    private static TestDaemon daemon;
    private static AwsTestClient aws;
    private static AwsTestClient beta;
    private static String account;
    /** Run with an idle policy and SHELL_INGRESS: served, suspended, woken, shelled into. */
    private static JsonNode shellVm;
    /** Run without connectors: refused a shell, terminated twice. */
    private static JsonNode plainVm;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("aws-mvm");
        daemon.buildBusybox("web");
        String adminId = daemon.call("GET", "/v1/admin/tenants/admin", null, 200).get("id").asText();
        String betaId = daemon.call("POST", "/v1/admin/tenants", "{\"name\":\"beta\"}", 201).get("id").asText();
        daemon.daemon.awsAuthenticator(AwsTestClient.trusting(Map.of(
                "AKIDADMIN", new Principal(adminId, "admin", true, "key_admin"),
                "AKIDBETA", new Principal(betaId, "beta", false, "key_beta"))));
        aws = new AwsTestClient(daemon.base, "AKIDADMIN", REGION);
        beta = new AwsTestClient(daemon.base, "AKIDBETA", REGION);
        account = AccountIds.of(adminId);
        shellVm = ok(aws.call("POST", "/2025-09-09/microvms", shellRun("shell-1")));
        plainVm = ok(aws.call("POST", "/2025-09-09/microvms", Map.of("imageIdentifier", "web")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Map<String, Object> shellRun(String clientToken) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("imageIdentifier", "arn:aws:lambda:" + REGION + ":" + account + ":microvm-image:web");
        run.put("imageVersion", "1");
        run.put("idlePolicy", Map.of("maxIdleDurationSeconds", 600, "suspendedDurationSeconds", 3600, "autoResumeEnabled", true));
        run.put("maximumDurationInSeconds", 1800);
        run.put("executionRoleArn", "arn:aws:iam::" + account + ":role/app");
        run.put("ingressNetworkConnectors", List.of(CONNECTOR + "ALL_INGRESS", CONNECTOR + "SHELL_INGRESS"));
        run.put("runHookPayload", "{\"session\":\"s1\"}");
        run.put("clientToken", clientToken);
        return run;
    }

    private static JsonNode ok(AwsTestClient.Answer a) {
        assertThat(a.status()).as("%s %s", a.errorType(), a.body()).isEqualTo(200);
        return a.body();
    }

    private static String id(JsonNode vm) {
        return vm.get("microvmId").asText();
    }

    private static HttpResponse<String> viaEndpoint(String endpoint, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path)).timeout(WAIT);
        headers.forEach(b::header);
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void runAnswersTheRunningMicroVmInTheModelsShapeAndGetEchoesIt() throws Exception {
        assertThat(shellVm.get("state").asText()).isEqualTo("RUNNING");
        assertThat(shellVm.get("endpoint").asText()).isEqualTo(daemon.base + "/proxy/" + id(shellVm));
        assertThat(shellVm.get("imageArn").asText()).isEqualTo("arn:aws:lambda:" + REGION + ":" + account + ":microvm-image:web");
        assertThat(shellVm.get("imageVersion").asText()).isEqualTo("1");
        assertThat(shellVm.get("maximumDurationInSeconds").asInt()).isEqualTo(1800);
        assertThat(shellVm.get("executionRoleArn").asText()).isEqualTo("arn:aws:iam::" + account + ":role/app");
        assertThat(JSON.convertValue(shellVm.get("idlePolicy"), Map.class)).isEqualTo(
                Map.of("maxIdleDurationSeconds", 600, "suspendedDurationSeconds", 3600, "autoResumeEnabled", true));
        assertThat(shellVm.get("ingressNetworkConnectors").toString()).contains(CONNECTOR + "ALL_INGRESS", CONNECTOR + "SHELL_INGRESS");
        assertThat(shellVm.has("egressNetworkConnectors")).isFalse();
        assertThat(shellVm.get("startedAt").isNumber()).isTrue();
        assertThat(shellVm.has("terminatedAt")).isFalse();
        JsonNode got = ok(aws.call("GET", "/2025-09-09/microvms/" + id(shellVm), null));
        assertThat(got).isEqualTo(shellVm);
        // the same microVM through /v1: one record, AWS's extras as burrow.aws labels
        JsonNode v1 = daemon.call("GET", "/v1/microvms/" + id(shellVm), null, 200);
        assertThat(v1.get("labels").get("burrow.aws.ingress").asText()).isEqualTo("ALL_INGRESS,SHELL_INGRESS");
        assertThat(v1.get("idlePolicy").get("autoResume").asBoolean()).isTrue();
        assertThat(v1.get("network").get("egress").asText()).isEqualTo("none");
    }

    @Test
    @Order(2)
    void anAuthTokenReachesTheAppThroughTheEndpointAndTrafficWakesTheSuspendedMicroVm() throws Exception {
        String vm = id(shellVm);
        HttpResponse<String> started = daemon.send("POST", "/v1/microvms/" + vm + "/exec", HttpRequest.BodyPublishers.ofString(
                "{\"cmd\":[\"sh\",\"-c\",\"mkdir -p /tmp/www && echo '" + PAGE + "' > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www\"]}"));
        assertThat(started.body()).contains("\"exit\":0");
        JsonNode token = ok(aws.call("POST", "/2025-09-09/microvms/" + vm + "/auth-token",
                Map.of("expirationInMinutes", 5, "allowedPorts", List.of(Map.of("port", 8080)))));
        assertThat(token.get("authToken").size()).isEqualTo(1);
        Map<String, String> auth = Map.of("X-aws-proxy-auth", token.get("authToken").get("X-aws-proxy-auth").asText());
        String endpoint = shellVm.get("endpoint").asText();
        HttpResponse<String> r = viaEndpoint(endpoint, "/index.html", auth);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (r.statusCode() == 502 && System.nanoTime() < deadline) {
            Thread.sleep(100); // httpd is starting in the guest
            r = viaEndpoint(endpoint, "/index.html", auth);
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body().strip()).isEqualTo(PAGE);
        Map<String, String> otherPort = new LinkedHashMap<>(auth);
        otherPort.put("X-aws-proxy-port", "8081");
        assertThat(viaEndpoint(endpoint, "/index.html", otherPort).statusCode()).isEqualTo(403);
        assertThat(viaEndpoint(endpoint, "/index.html", Map.of()).statusCode()).isEqualTo(401);

        assertThat(ok(aws.call("POST", "/2025-09-09/microvms/" + vm + "/suspend", null)).size()).isZero();
        assertThat(ok(aws.call("POST", "/2025-09-09/microvms/" + vm + "/suspend", null)).size()).isZero();
        assertThat(ok(aws.call("GET", "/2025-09-09/microvms/" + vm, null)).get("state").asText()).isEqualTo("SUSPENDED");
        HttpResponse<String> woken = viaEndpoint(endpoint, "/index.html", auth);
        assertThat(woken.statusCode()).as(woken.body()).isEqualTo(200);
        assertThat(woken.body().strip()).isEqualTo(PAGE);
        assertThat(ok(aws.call("GET", "/2025-09-09/microvms/" + vm, null)).get("state").asText()).isEqualTo("RUNNING");
        assertThat(ok(aws.call("POST", "/2025-09-09/microvms/" + vm + "/resume", null)).size()).isZero();
    }

    @Test
    @Order(3)
    void theSameClientTokenAnswersTheSameMicroVmAndADifferentRequestWithItConflicts() throws Exception {
        JsonNode again = ok(aws.call("POST", "/2025-09-09/microvms", shellRun("shell-1")));
        assertThat(id(again)).isEqualTo(id(shellVm));
        Map<String, Object> changed = shellRun("shell-1");
        changed.put("maximumDurationInSeconds", 1700);
        AwsTestClient.Answer conflict = aws.call("POST", "/2025-09-09/microvms", changed);
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.errorType()).isEqualTo("ConflictException");
        assertThat(conflict.body().get("message").asText()).contains("clientToken shell-1");
    }

    @Test
    @Order(4)
    void listPagesWithMaxResultsAndFiltersByImageAndVersion() throws Exception {
        List<String> seen = new ArrayList<>();
        String next = null;
        do {
            JsonNode page = ok(aws.call("GET", "/2025-09-09/microvms?maxResults=1" + (next == null ? "" : "&nextToken=" + next), null));
            assertThat(page.get("items").size()).isLessThanOrEqualTo(1);
            page.get("items").forEach(i -> {
                seen.add(i.get("microvmId").asText());
                assertThat(i.get("imageArn").asText()).endsWith(":microvm-image:web");
                assertThat(i.get("imageVersion").asText()).isEqualTo("1");
            });
            next = page.has("nextToken") ? page.get("nextToken").asText() : null;
        } while (next != null);
        assertThat(seen).containsExactlyInAnyOrder(id(shellVm), id(plainVm));
        assertThat(ok(aws.call("GET", "/2025-09-09/microvms?imageIdentifier=web&imageVersion=1", null)).get("items").size()).isEqualTo(2);
        assertThat(ok(aws.call("GET", "/2025-09-09/microvms?imageIdentifier=web&imageVersion=2", null)).get("items").size()).isZero();
        assertThat(aws.call("GET", "/2025-09-09/microvms?imageVersion=latest", null).errorType()).isEqualTo("ValidationException");
        assertThat(aws.call("GET", "/2025-09-09/microvms?nextToken=%21%21", null).errorType()).isEqualTo("ValidationException");
    }

    @Test
    @Tag("hostile")
    @Order(5)
    void anotherTenantsMicroVmIsNotFoundForEveryOperation() throws Exception {
        String vm = id(shellVm);
        for (String[] call : new String[][] {{"GET", ""}, {"DELETE", ""}, {"POST", "/suspend"}, {"POST", "/resume"}}) {
            AwsTestClient.Answer a = beta.call(call[0], "/2025-09-09/microvms/" + vm + call[1], null);
            assertThat(a.status()).as(call[0] + call[1]).isEqualTo(404);
            assertThat(a.errorType()).isEqualTo("ResourceNotFoundException");
            assertThat(a.body().get("resourceId").asText()).isEqualTo(vm);
            assertThat(a.body().get("resourceType").asText()).isEqualTo("microvm");
        }
        assertThat(beta.call("POST", "/2025-09-09/microvms/" + vm + "/auth-token",
                Map.of("expirationInMinutes", 5, "allowedPorts", List.of(Map.of("allPorts", Map.of())))).errorType())
                .isEqualTo("ResourceNotFoundException");
        assertThat(ok(beta.call("GET", "/2025-09-09/microvms", null)).get("items").size()).isZero();
        assertThat(beta.call("POST", "/2025-09-09/microvms", Map.of("imageIdentifier",
                "arn:aws:lambda:" + REGION + ":" + account + ":microvm-image:web")).errorType()).isEqualTo("ResourceNotFoundException");
    }

    @Test
    @Order(6)
    void aShellTokenOpensThePtyWebSocketAndRunsACommand() throws Exception {
        JsonNode parts = ok(aws.call("POST", "/2025-09-09/microvms/" + id(shellVm) + "/shell-auth-token",
                Map.of("expirationInMinutes", 2))).get("authToken");
        assertThat(parts.get("shellUrl").asText()).startsWith(daemon.base + "/shell/" + id(shellVm) + "?token=");
        List<String> protocols = List.of(parts.get("Sec-WebSocket-Protocol").asText().split(",\\s*"));
        StringBuilder screen = new StringBuilder();
        WebSocket ws = HTTP.newWebSocketBuilder().subprotocols(protocols.getFirst(), protocols.subList(1, protocols.size()).toArray(String[]::new))
                .buildAsync(URI.create(parts.get("ptyUrl").asText()), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        synchronized (screen) {
                            screen.append(StandardCharsets.UTF_8.decode(data));
                        }
                        w.request(1);
                        return null;
                    }
                }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try {
            ws.sendBinary(ByteBuffer.wrap("echo aws-shell-$((6*7))\r".getBytes(StandardCharsets.UTF_8)), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!screen(screen).contains("aws-shell-42") && System.nanoTime() < deadline) {
                Thread.sleep(50); // the shell answers through the PTY
            }
            assertThat(screen(screen)).contains("aws-shell-42");
        } finally {
            ws.abort();
        }
    }

    private static String screen(StringBuilder b) {
        synchronized (b) {
            return b.toString();
        }
    }

    @Test
    @Order(7)
    void aShellTokenNeedsTheShellIngressConnector() throws Exception {
        AwsTestClient.Answer a = aws.call("POST", "/2025-09-09/microvms/" + id(plainVm) + "/shell-auth-token", Map.of("expirationInMinutes", 2));
        assertThat(a.status()).isEqualTo(409);
        assertThat(a.errorType()).isEqualTo("ConflictException");
        assertThat(a.body().get("message").asText()).contains("SHELL_INGRESS");
    }

    @Test
    @Order(8)
    void faultyRequestsAreValidationExceptionsNamingEachField() throws Exception {
        AwsTestClient.Answer run = aws.call("POST", "/2025-09-09/microvms", Map.of("imageIdentifier", "web", "maximumDurationInSeconds", 0,
                "idlePolicy", Map.of("maxIdleDurationSeconds", 10, "suspendedDurationSeconds", 0, "autoResumeEnabled", true)));
        assertThat(run.status()).isEqualTo(400);
        assertThat(run.errorType()).isEqualTo("ValidationException");
        assertThat(run.body().get("message").asText()).contains("maximumDurationInSeconds must be between 1 and 28800; got 0",
                "idlePolicy.maxIdleDurationSeconds must be between 60");
        AwsTestClient.Answer token = aws.call("POST", "/2025-09-09/microvms/" + id(plainVm) + "/auth-token",
                Map.of("expirationInMinutes", 61, "allowedPorts", List.of(Map.of("port", 8080, "allPorts", Map.of()))));
        assertThat(token.errorType()).isEqualTo("ValidationException");
        assertThat(token.body().get("message").asText()).contains("expirationInMinutes must be between 1 and 60; got 61",
                "allowedPorts[0] must set exactly one of port, range and allPorts");
        assertThat(aws.call("GET", "/2025-09-09/microvms/vmnosuchone", null).errorType()).isEqualTo("ResourceNotFoundException");
        assertThat(aws.call("POST", "/2025-09-09/microvms", Map.of("imageIdentifier", "nosuchimage")).errorType())
                .isEqualTo("ResourceNotFoundException");
    }

    @Test
    @Order(9)
    void terminateTwiceAnswers200AndThenTheMicroVmIsTerminatedForGood() throws Exception {
        String vm = id(plainVm);
        assertThat(ok(aws.call("DELETE", "/2025-09-09/microvms/" + vm, null)).size()).isZero();
        assertThat(ok(aws.call("DELETE", "/2025-09-09/microvms/" + vm, null)).size()).isZero();
        JsonNode got = ok(aws.call("GET", "/2025-09-09/microvms/" + vm, null));
        assertThat(got.get("state").asText()).isEqualTo("TERMINATED");
        assertThat(got.get("terminatedAt").isNumber()).isTrue();
        AwsTestClient.Answer resume = aws.call("POST", "/2025-09-09/microvms/" + vm + "/resume", null);
        assertThat(resume.errorType()).isEqualTo("ConflictException");
        assertThat(resume.body().get("resourceId").asText()).isEqualTo(vm);
        assertThat(aws.call("POST", "/2025-09-09/microvms/" + vm + "/auth-token",
                Map.of("expirationInMinutes", 5, "allowedPorts", List.of(Map.of("port", 8080)))).errorType()).isEqualTo("ConflictException");
    }
}
