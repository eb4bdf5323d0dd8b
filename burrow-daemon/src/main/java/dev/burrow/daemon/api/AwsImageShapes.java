package dev.burrow.daemon.api;

import java.util.List;
import java.util.Map;

/**
 * The image operations' request members as the {@code lambda-microvms} model names them. Parsed
 * strictly ({@link Call#json}): an unknown member or a {@code null} is a ValidationException
 * naming it. {@link VersionSpec} is what a version was asked to be; it is stored beside the
 * version and answered back in every version, image and update response.
 */
final class AwsImageShapes {

    private AwsImageShapes() {}

    record CodeArtifact(String uri) {}

    record CloudWatch(String logGroup, String logStream) {}

    /** {@code disabled} is the model's empty LoggingDisabled structure. */
    record Logging(Map<String, Object> disabled, CloudWatch cloudWatch) {}

    record CpuConfiguration(String architecture) {}

    record ResourcesShape(Integer minimumMemoryInMiB) {}

    record MicrovmHooks(String run, Integer runTimeoutInSeconds, String resume, Integer resumeTimeoutInSeconds,
                        String suspend, Integer suspendTimeoutInSeconds, String terminate, Integer terminateTimeoutInSeconds) {}

    record MicrovmImageHooks(String ready, Integer readyTimeoutInSeconds, String validate, Integer validateTimeoutInSeconds) {}

    record HooksShape(Integer port, MicrovmHooks microvmHooks, MicrovmImageHooks microvmImageHooks) {}

    /** CreateMicrovmImage's body, and UpdateMicrovmImage's (which has no {@code name} and no {@code tags}). */
    record ImageRequest(String name, String baseImageArn, String baseImageVersion, String buildRoleArn, String description,
                        CodeArtifact codeArtifact, Logging logging, List<String> egressNetworkConnectors,
                        List<CpuConfiguration> cpuConfigurations, List<ResourcesShape> resources,
                        List<String> additionalOsCapabilities, HooksShape hooks, Map<String, String> environmentVariables,
                        Map<String, String> tags, String clientToken) {

        /** What the version is asked to be, under the image's AWS name {@code awsName}. */
        VersionSpec spec(String awsName) {
            return new VersionSpec(awsName, baseImageArn, baseImageVersion, buildRoleArn, description, codeArtifact, logging,
                    egressNetworkConnectors, cpuConfigurations, resources, additionalOsCapabilities, hooks, environmentVariables);
        }
    }

    /** One version's AWS members as its request gave them ({@code name} is the image's name as the caller spelled it). */
    record VersionSpec(String name, String baseImageArn, String baseImageVersion, String buildRoleArn, String description,
                       CodeArtifact codeArtifact, Logging logging, List<String> egressNetworkConnectors,
                       List<CpuConfiguration> cpuConfigurations, List<ResourcesShape> resources,
                       List<String> additionalOsCapabilities, HooksShape hooks, Map<String, String> environmentVariables) {}

    /** UpdateMicrovmImageVersion's body. */
    record StatusRequest(String status) {}
}
