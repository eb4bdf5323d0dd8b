package dev.burrow.daemon.images;

import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.oci.ImageFormat;
import java.nio.file.Path;
import java.util.Map;

/** Where a version's image comes from (SPEC §1 {@code source}). */
public sealed interface ImageSourceSpec {

    /** A file or directory on the daemon's host (admin keys only, in the API); {@code format} null = detect. */
    record HostPath(Path path, ImageFormat format) implements ImageSourceSpec {}

    /**
     * An image in a registry ({@code host/repo:tag} or {@code …@sha256:…}), pulled with the
     * tenant's credentials for that host; {@code platform} null = linux/amd64.
     */
    record Registry(String ref, String platform) implements ImageSourceSpec {}

    /**
     * A Dockerfile build: {@code context} is the build context archive (a tar or zip holding a
     * {@code Dockerfile}), {@code buildArgs} the {@code ARG} values, {@code target} the stage to
     * build (null = the last), {@code noCache} skips the layer cache, {@code network} is the
     * builder microVM's egress (null = none).
     */
    record Dockerfile(Path context, Map<String, String> buildArgs, String target, boolean noCache, EgressPolicy network)
            implements ImageSourceSpec {
        public Dockerfile {
            buildArgs = buildArgs == null ? Map.of() : Map.copyOf(buildArgs);
        }
    }
}
