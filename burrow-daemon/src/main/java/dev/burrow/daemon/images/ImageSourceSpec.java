package dev.burrow.daemon.images;

import dev.burrow.oci.ImageFormat;
import java.nio.file.Path;

/** Where a version's image comes from (SPEC §1 {@code source}). Uploads, registries and Dockerfiles arrive with later issues. */
public sealed interface ImageSourceSpec {

    /** A file or directory on the daemon's host (admin keys only, in the API); {@code format} null = detect. */
    record HostPath(Path path, ImageFormat format) implements ImageSourceSpec {}

    default String describe() {
        return switch (this) {
            case HostPath p -> "path:" + p.path() + (p.format() == null ? "" : " (" + p.format() + ")");
        };
    }
}
