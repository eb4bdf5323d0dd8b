package dev.burrow.daemon.images.build;

import dev.burrow.oci.Descriptor;
import java.io.IOException;
import java.util.Optional;

/**
 * A Burrow image for a Dockerfile's {@code FROM name[:version]}: the tenant's own image, else a
 * public one, through the version's image record ({@code image.json}).
 */
@FunctionalInterface
public interface ImageLookup {

    /** Nothing found anywhere. */
    ImageLookup NONE = (tenant, name, version) -> Optional.empty();

    /**
     * The manifest of {@code name}'s version {@code version} (null = the newest READY and ACTIVE
     * one) as {@code tenant} may see it, or empty when the tenant has no such image and no public
     * image has that name.
     */
    Optional<Descriptor> find(String tenant, String name, Integer version) throws IOException;
}
