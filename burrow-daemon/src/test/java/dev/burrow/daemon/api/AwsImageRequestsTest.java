package dev.burrow.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.api.AwsImageShapes.CloudWatch;
import dev.burrow.daemon.api.AwsImageShapes.CodeArtifact;
import dev.burrow.daemon.api.AwsImageShapes.CpuConfiguration;
import dev.burrow.daemon.api.AwsImageShapes.HooksShape;
import dev.burrow.daemon.api.AwsImageShapes.ImageRequest;
import dev.burrow.daemon.api.AwsImageShapes.Logging;
import dev.burrow.daemon.api.AwsImageShapes.MicrovmHooks;
import dev.burrow.daemon.api.AwsImageShapes.MicrovmImageHooks;
import dev.burrow.daemon.api.AwsImageShapes.ResourcesShape;
import dev.burrow.daemon.aws.AwsError;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.builtin.ManagedBases;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CreateMicrovmImage / UpdateMicrovmImage members checked and mapped onto a Burrow version, without a daemon. */
class AwsImageRequestsTest {

    private static final String ROLE = "arn:aws:iam::123456789012:role/MicroVMBuildRole";
    private static final String BASE = "arn:aws:lambda:eu-west-1:aws:microvm-image:minimal";
    private static final String EGRESS = "arn:aws:lambda:eu-west-1:aws:network-connector:aws-network-connector:INTERNET_EGRESS";

    private static ImageRequest request(String name, String base, String role, HooksShape hooks, List<ResourcesShape> resources,
                                        Map<String, String> env, List<String> egress, List<CpuConfiguration> cpus, Map<String, String> tags) {
        return new ImageRequest(name, base, null, role, "a test image", new CodeArtifact("burrow://uploads/up1"),
                new Logging(null, new CloudWatch("/aws/lambda/microvms/app", null)), egress, cpus, resources, List.of("ALL"), hooks, env,
                tags, "token-1");
    }

    private static ImageRequest valid() {
        HooksShape hooks = new HooksShape(9100, new MicrovmHooks("ENABLED", 5, null, null, "DISABLED", null, null, null),
                new MicrovmImageHooks("ENABLED", 120, null, null));
        return request("MyImage", BASE, ROLE, hooks, List.of(new ResourcesShape(256)), Map.of("GREETING", "hello"), List.of(EGRESS),
                List.of(new CpuConfiguration("X86_64")), Map.of("team", "web"));
    }

    @Test
    void aValidRequestMapsOntoTheBaseTheSettingsAndTheBuildersNetwork() {
        AwsImageRequests.Mapped m = AwsImageRequests.map(valid(), true, "X86_64");

        assertThat(m.base()).isEqualTo("minimal");
        assertThat(m.settings().resources().memoryMiB()).isEqualTo(256);
        assertThat(m.settings().env()).containsEntry("GREETING", "hello");
        assertThat(m.settings().hooks().port()).isEqualTo(9100);
        assertThat(m.settings().hooks().ready()).isEqualTo(new Hook(true, 120));
        assertThat(m.settings().hooks().run()).isEqualTo(new Hook(true, 5));
        assertThat(m.settings().hooks().suspend().enabled()).isFalse();
        assertThat(m.settings().hooks().validate().enabled()).isFalse();
        assertThat(m.network().mode()).isEqualTo(EgressPolicy.Mode.INTERNET);
    }

    @Test
    void aBareBaseNameAndNoConnectorMeanThatBaseAndNoNetwork() {
        ImageRequest r = request("app", "python", ROLE, null, null, null, null, null, null);

        AwsImageRequests.Mapped m = AwsImageRequests.map(r, true, "X86_64");

        assertThat(m.base()).isEqualTo("python");
        assertThat(m.network()).isEqualTo(EgressPolicy.NONE);
        assertThat(m.settings().hooks().anyEnabled()).isFalse();
        assertThat(m.settings().resources().memoryMiB()).isEqualTo(512);
    }

    @Test
    void everyFaultyMemberIsNamedInOneValidationException() {
        Map<String, String> env = new HashMap<>();
        env.put("1BAD", "x");
        env.put("LONG", "v".repeat(AwsImageRequests.MAX_ENV_VALUE + 1));
        HooksShape hooks = new HooksShape(70000, new MicrovmHooks("MAYBE", 61, null, null, null, null, null, null),
                new MicrovmImageHooks(null, 3601, null, null));
        ImageRequest r = new ImageRequest("my.image", "arn:aws:lambda:us-east-1:123456789012:microvm-image:mine", "two words",
                "not-a-role", null,
                new CodeArtifact(" "), new Logging(Map.of(), new CloudWatch("bad group!", null)),
                List.of("arn:aws:lambda:us-east-1:aws:network-connector:aws-network-connector:SHELL_INGRESS"),
                List.of(new CpuConfiguration("ARM_64")), List.of(new ResourcesShape(64)), List.of("SOME"), hooks, env,
                Map.of("bad*key", "v"), "");

        assertThatThrownBy(() -> AwsImageRequests.map(r, true, "X86_64"))
                .isInstanceOfSatisfying(AwsError.class, e -> {
                    assertThat(e.code()).isEqualTo("ValidationException");
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).startsWith("19 validation errors detected: ")
                            .contains("name must be 1 to 64 characters of [a-zA-Z0-9-_]; got 'my.image'")
                            .contains("baseImageArn must name a managed base image")
                            .contains("baseImageVersion must be 1 to 2048 characters without white space; got 'two words'")
                            .contains("buildRoleArn must be an IAM role ARN")
                            .contains("codeArtifact.uri must be 1 to 2048 characters without white space")
                            .contains("logging takes one of disabled and cloudWatch, not both")
                            .contains("logging.cloudWatch.logGroup")
                            .contains("egressNetworkConnectors[0] must be arn:aws:lambda:<region>:aws:network-connector:aws-network-connector:INTERNET_EGRESS")
                            .contains("cpuConfigurations[0].architecture must be X86_64, this host's architecture; got 'ARM_64'")
                            .contains("resources[0].minimumMemoryInMiB must be between 128 and 32768; got 64")
                            .contains("additionalOsCapabilities[0] must be ALL")
                            .contains("hooks.port must be between 1 and 65535; got 70000")
                            .contains("hooks.microvmHooks.run must be ENABLED or DISABLED; got 'MAYBE'")
                            .contains("hooks.microvmHooks.runTimeoutInSeconds must be between 1 and 60; got 61")
                            .contains("hooks.microvmImageHooks.readyTimeoutInSeconds must be between 1 and 3600; got 3601")
                            .contains("environmentVariables.LONG is longer than 4096 characters")
                            .contains("environment variable name '1BAD'")
                            .contains("tags: key 'bad*key'")
                            .contains("clientToken must be 1 to 128 characters");
                });
    }

    @Test
    void missingRequiredMembersAreEachNamed() {
        ImageRequest r = new ImageRequest(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

        assertThatThrownBy(() -> AwsImageRequests.map(r, true, "X86_64"))
                .isInstanceOfSatisfying(AwsError.class, e -> assertThat(e.getMessage()).startsWith("4 validation errors detected: ")
                        .contains("name is required").contains("baseImageArn is required").contains("buildRoleArn is required")
                        .contains("codeArtifact.uri is required"));
    }

    @Test
    void anUnknownBaseIsRefusedListingTheBasesThisHostHas() {
        ImageRequest r = request("app", "arn:aws:lambda:us-east-1:aws:microvm-image:al2023-1", ROLE, null, null, null, null, null, null);

        assertThatThrownBy(() -> AwsImageRequests.map(r, true, "X86_64"))
                .hasMessage("baseImageArn names no managed base: 'al2023-1'; this host has minimal, python, node");
    }

    @Test
    void aBaseVersionMustBeTheOneThisHostBuilds() {
        int recipe = ManagedBases.named("minimal").orElseThrow().recipeVersion();
        ImageRequest current = new ImageRequest("app", "minimal", Integer.toString(recipe), ROLE, null, new CodeArtifact("burrow://uploads/up1"),
                null, null, null, null, null, null, null, null, null);
        ImageRequest other = new ImageRequest("app", "minimal", "999", ROLE, null, new CodeArtifact("burrow://uploads/up1"),
                null, null, null, null, null, null, null, null, null);

        assertThat(AwsImageRequests.map(current, true, "X86_64").base()).isEqualTo("minimal");
        assertThatThrownBy(() -> AwsImageRequests.map(other, true, "X86_64"))
                .hasMessage("baseImageVersion: this host builds minimal at version " + recipe + " only; got '999'");
    }

    @Test
    void anUpdateTakesNeitherANameNorTags() {
        assertThatThrownBy(() -> AwsImageRequests.map(valid(), false, "X86_64"))
                .hasMessageContaining("name is not a member of UpdateMicrovmImage")
                .hasMessageContaining("tags is not a member of UpdateMicrovmImage");
    }

    @Test
    void theArchitectureAskedForMustBeTheHostsWhateverTheHostIs() {
        ImageRequest r = request("app", "minimal", ROLE, null, null, null, null, List.of(new CpuConfiguration("X86_64")), null);

        assertThatThrownBy(() -> AwsImageRequests.map(r, true, "ARM_64"))
                .hasMessage("cpuConfigurations[0].architecture must be ARM_64, this host's architecture; got 'X86_64'");
        assertThat(AwsImageRequests.map(r, true, "X86_64").base()).isEqualTo("minimal");
    }

    @Test
    void fiftyOneEnvironmentVariablesAreTooMany() {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i <= AwsImageRequests.MAX_ENV_VARS; i++) {
            env.put("V" + i, "x");
        }
        ImageRequest r = request("app", "minimal", ROLE, null, null, env, null, null, null);

        assertThatThrownBy(() -> AwsImageRequests.map(r, true, "X86_64"))
                .hasMessage("environmentVariables holds at most 50 variables; got 51");
    }
}
