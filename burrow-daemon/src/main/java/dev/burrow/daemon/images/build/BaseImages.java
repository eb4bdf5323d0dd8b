package dev.burrow.daemon.images.build;

import dev.burrow.oci.Descriptor;
import java.io.IOException;
import java.util.Optional;

/**
 * Burrow's managed base images ({@code minimal}, {@code python}, {@code node}) for a
 * Dockerfile's {@code FROM}: the last place a plain name is looked up, after the tenant's own
 * images and public images.
 */
@FunctionalInterface
public interface BaseImages {

    /** No managed bases. */
    BaseImages NONE = name -> Optional.empty();

    /** The base's manifest in the shared blob store (imported when missing), or empty when there is no such base. */
    Optional<Descriptor> find(String name) throws IOException;
}
