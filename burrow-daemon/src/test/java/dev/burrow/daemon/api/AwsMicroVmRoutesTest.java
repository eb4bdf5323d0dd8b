package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.microvms.lifecycle.IdlePolicy;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.tokens.PortSet;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The RunMicrovm and CreateMicrovmAuthToken mappings without a daemon: AWS's fields onto Burrow's, every fault named at once. */
class AwsMicroVmRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCOUNT = "123456789012";
    private static final String CONNECTOR = "arn:aws:lambda:us-east-1:aws:network-connector:aws-network-connector:";

    private static AwsMicroVmRoutes.Run run(String json) throws Exception {
        return AwsMicroVmRoutes.runRequest(JSON.readTree(json), ACCOUNT, 1, 28_800);
    }

    private static AwsError refused(String json, int minDuration, int maxDuration) {
        try {
            AwsMicroVmRoutes.runRequest(JSON.readTree(json), ACCOUNT, minDuration, maxDuration);
        } catch (AwsError e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void aFullRunMapsEveryAwsFieldOntoBurrowsRun() throws Exception {
        AwsMicroVmRoutes.Run r = run("""
                {"imageIdentifier":"arn:aws:lambda:eu-west-1:123456789012:microvm-image:web","imageVersion":"3",
                 "executionRoleArn":"arn:aws:iam::123456789012:role/app","maximumDurationInSeconds":600,
                 "idlePolicy":{"maxIdleDurationSeconds":120,"suspendedDurationSeconds":0,"autoResumeEnabled":true},
                 "logging":{"cloudWatch":{"logGroup":"/app/logs"}},"runHookPayload":"{\\"session\\":1}",
                 "ingressNetworkConnectors":["%sALL_INGRESS","%sSHELL_INGRESS"],
                 "egressNetworkConnectors":["%sINTERNET_EGRESS"],"clientToken":"tok-1"}
                """.formatted(CONNECTOR, CONNECTOR, CONNECTOR));
        assertThat(r.request().image()).isEqualTo("web");
        assertThat(r.request().version()).isEqualTo(3);
        assertThat(r.request().maxDurationSeconds()).isEqualTo(600);
        assertThat(r.request().idlePolicy()).isEqualTo(new IdlePolicy(120, 0, true));
        assertThat(r.request().runHookPayload()).isEqualTo("{\"session\":1}");
        assertThat(EgressPolicy.fromJson(r.request().network()).mode()).isEqualTo(EgressPolicy.Mode.INTERNET);
        assertThat(r.request().labels()).containsEntry(AwsMicroVmRoutes.LABEL_INGRESS, "ALL_INGRESS,SHELL_INGRESS")
                .containsEntry(AwsMicroVmRoutes.LABEL_ROLE, "arn:aws:iam::123456789012:role/app");
        assertThat(r.clientToken()).isEqualTo("tok-1");
    }

    @Test
    void noEgressConnectorIsBurrowsDefaultNetworkNone() throws Exception {
        AwsMicroVmRoutes.Run r = run("{\"imageIdentifier\":\"web\"}");
        assertThat(EgressPolicy.fromJson(r.request().network()).mode()).isEqualTo(EgressPolicy.Mode.NONE);
        assertThat(r.request().labels()).isEmpty();
        assertThat(r.request().version()).isNull();
        assertThat(r.clientToken()).isNull();
    }

    @Test
    void everyFaultyFieldIsNamedWithItsRangeInOneValidationException() {
        AwsError e = refused("""
                {"imageVersion":"latest","executionRoleArn":"arn:aws:iam::1:user/x","maximumDurationInSeconds":0,
                 "idlePolicy":{"maxIdleDurationSeconds":30,"suspendedDurationSeconds":-1},
                 "runHookPayload":"%s","ingressNetworkConnectors":["%sINTERNET_EGRESS"],
                 "egressNetworkConnectors":["arn:aws:lambda:us-east-1:123456789012:network-connector:mine"],
                 "clientToken":"%s","logging":{"disabled":{},"cloudWatch":{"logGroup":"g"}}}
                """.formatted("x".repeat(4097), CONNECTOR, "t".repeat(129)), 1, 28_800);
        assertThat(e.code()).isEqualTo("ValidationException");
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.getMessage()).contains("imageIdentifier is required", "imageVersion must be a version number",
                "executionRoleArn must be an IAM role ARN", "maximumDurationInSeconds must be between 1 and 28800; got 0",
                "idlePolicy.maxIdleDurationSeconds must be between 60", "idlePolicy.suspendedDurationSeconds must be between 0",
                "idlePolicy.autoResumeEnabled is required", "runHookPayload must be at most 4096 characters; got 4097",
                "ingressNetworkConnectors[0]", "egressNetworkConnectors[0]", "clientToken must be 1 to 128 characters",
                "logging must name exactly one");
        assertThat(e.getMessage()).doesNotContain("maxIdleSeconds", "suspendedSeconds ", "autoResume ");
    }

    @Test
    void theDurationRangeIsTheModelsNarrowedByTheServersOwn() {
        assertThat(refused("{\"imageIdentifier\":\"web\",\"maximumDurationInSeconds\":30}", 60, 3600).getMessage())
                .isEqualTo("maximumDurationInSeconds must be between 60 and 3600; got 30");
        assertThat(refused("{\"imageIdentifier\":\"web\",\"maximumDurationInSeconds\":28801}", 1, 86_400).getMessage())
                .isEqualTo("maximumDurationInSeconds must be between 1 and 28800; got 28801");
    }

    @Test
    void anIdlePolicyLongerThanTheLifetimeIsRefusedAsOnV1() {
        assertThat(refused("""
                {"imageIdentifier":"web","maximumDurationInSeconds":100,
                 "idlePolicy":{"maxIdleDurationSeconds":200,"suspendedDurationSeconds":10,"autoResumeEnabled":false}}
                """, 1, 28_800).getMessage()).isEqualTo("idlePolicy.maxIdleDurationSeconds must be between 60 and the lifetime (100 s); got 200");
    }

    @Test
    void aWrongTypeIsNamedNotThrownAsAParseError() {
        assertThat(refused("""
                {"imageIdentifier":"web","maximumDurationInSeconds":"60",
                 "idlePolicy":{"maxIdleDurationSeconds":60,"suspendedDurationSeconds":1,"autoResumeEnabled":"yes"}}
                """, 1, 28_800).getMessage()).contains("maximumDurationInSeconds must be a whole number", "idlePolicy.autoResumeEnabled must be true or false");
    }

    @Test
    void anotherAccountsImageArnIsNotFoundAndAManagedBaseDoesNotRunByItself() {
        assertThatThrownBy(() -> run("{\"imageIdentifier\":\"arn:aws:lambda:us-east-1:999999999999:microvm-image:web\"}"))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.code()).isEqualTo("ResourceNotFoundException"));
        assertThat(refused("{\"imageIdentifier\":\"arn:aws:lambda:us-east-1:aws:microvm-image:python\"}", 1, 28_800).getMessage())
                .contains("managed base image 'python'");
    }

    @Test
    void theClientTokenHashIgnoresMemberOrderButNotValues() throws Exception {
        JsonNode a = JSON.readTree("{\"imageIdentifier\":\"web\",\"idlePolicy\":{\"maxIdleDurationSeconds\":60,\"autoResumeEnabled\":true}}");
        JsonNode b = JSON.readTree("{\"idlePolicy\":{\"autoResumeEnabled\":true,\"maxIdleDurationSeconds\":60},\"imageIdentifier\":\"web\"}");
        JsonNode c = JSON.readTree("{\"imageIdentifier\":\"web\",\"idlePolicy\":{\"maxIdleDurationSeconds\":61,\"autoResumeEnabled\":true}}");
        assertThat(AwsMicroVmRoutes.canonicalHash(a)).isEqualTo(AwsMicroVmRoutes.canonicalHash(b)).isNotEqualTo(AwsMicroVmRoutes.canonicalHash(c));
    }

    @Test
    void allowedPortsMapOntoAPortSet() throws Exception {
        FieldErrors errors = new FieldErrors();
        PortSet ports = AwsMicroVmRoutes.allowedPorts(JSON.readTree(
                "[{\"port\":8080},{\"range\":{\"startPort\":9000,\"endPort\":9010}}]"), errors);
        assertThat(errors.isEmpty()).isTrue();
        assertThat(ports.allows(8080)).isTrue();
        assertThat(ports.allows(9005)).isTrue();
        assertThat(ports.allows(8081)).isFalse();
        assertThat(AwsMicroVmRoutes.allowedPorts(JSON.readTree("[{\"allPorts\":{}}]"), errors).allows(1)).isTrue();
    }

    @Test
    void eachAllowedPortsEntryMustSetExactlyOneValidChoice() throws Exception {
        FieldErrors errors = new FieldErrors();
        assertThat(AwsMicroVmRoutes.allowedPorts(JSON.readTree("""
                [{"port":8080,"allPorts":{}},{"range":{"startPort":9010,"endPort":9000}},{"port":70000},{},{"allPorts":{"x":1}}]
                """), errors)).isNull();
        assertThat(errors.entries()).extracting(m -> m.get("field")).containsExactly("allowedPorts[0]", "allowedPorts[1].range",
                "allowedPorts[2].port", "allowedPorts[3]", "allowedPorts[4].allPorts");
        FieldErrors none = new FieldErrors();
        assertThat(AwsMicroVmRoutes.allowedPorts(JSON.readTree("[]"), none)).isNull();
        assertThat(none.entries().getFirst().get("detail")).contains("allowedPorts is required");
    }

    @Test
    void burrowsOwnStatesMapOntoTheNearestAwsOne() {
        Map<MicroVmState, String> expected = Map.of(MicroVmState.PENDING, "PENDING", MicroVmState.RESUMING, "PENDING",
                MicroVmState.RUNNING, "RUNNING", MicroVmState.SUSPENDING, "SUSPENDING", MicroVmState.SUSPENDED, "SUSPENDED",
                MicroVmState.TERMINATING, "TERMINATING", MicroVmState.TERMINATED, "TERMINATED", MicroVmState.FAILED, "TERMINATED");
        for (MicroVmState s : MicroVmState.values()) {
            MicroVmRecord r = new MicroVmRecord("vm1", "t", "web", 1, s.name(), null, Instant.EPOCH, Instant.EPOCH,
                    Instant.EPOCH, Map.of(), Map.of(), null, null, null, null);
            assertThat(AwsMicroVmRoutes.state(r)).as(s.name()).isEqualTo(expected.get(s));
        }
    }
}
