package dev.burrow.daemon.images;

import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import java.io.IOException;

/**
 * Pulls a registry image into the shared blob store with the tenant's own credentials for the
 * registry's host (SPEC §3 {@code /v1/registries}): used for {@code registry} sources and for a
 * Dockerfile's {@code FROM host/repo:tag}.
 */
public interface RegistryPuller {

    /**
     * The pulled image's top descriptor (manifest or index) in the shared store. {@code log} is a
     * {@link BuildLog} (the build's {@code BuildLogFile}): implementations live outside this package.
     */
    Descriptor pull(String tenant, String ref, String platform, BuildLog log)
            throws SourceResolver.SourceFailure, IOException, InterruptedException;
}
