package dev.burrow.daemon.images;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * One built (or building) version of an image. {@code settings} are the effective ones (inherited
 * and defaulted); {@code phasesMillis} times the build's phases (unpack, mkfs, boot, ready,
 * snapshot, validate); {@code templateDir} is set once READY.
 */
public record ImageVersion(String image, int version, VersionState state, String stateReason, boolean active,
                           BuildSettings settings, String source, Instant createdAt, Instant updatedAt,
                           EntrypointStatus entrypoint, Map<String, Long> phasesMillis, Path templateDir, Path buildLog) {

    ImageVersion with(VersionState s, String reason) {
        return new ImageVersion(image, version, s, reason, active, settings, source, createdAt, Instant.now(), entrypoint,
                phasesMillis, templateDir, buildLog);
    }

    ImageVersion withBuild(BuildSettings effective, EntrypointStatus ep, Map<String, Long> phases, Path template) {
        return new ImageVersion(image, version, state, stateReason, active, effective, source, createdAt, Instant.now(), ep,
                Map.copyOf(phases), template, buildLog);
    }

    public String ref() {
        return image + ":" + version;
    }
}
