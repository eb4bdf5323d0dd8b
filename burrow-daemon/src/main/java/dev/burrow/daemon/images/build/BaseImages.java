package dev.burrow.daemon.images.build;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageSource;
import java.io.IOException;
import java.nio.file.Path;
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

    /** Where a base's OCI layout is (built when missing), or empty when there is no such base. */
    @FunctionalInterface
    interface Layouts {
        Optional<Path> layout(String name) throws IOException;
    }

    /**
     * Bases kept as OCI layouts (the managed bases' cache): a base found there is copied into
     * {@code blobs} (blobs already there are not copied again) and its manifest returned.
     */
    static BaseImages fromLayouts(Layouts layouts, BlobStore blobs) {
        return name -> {
            Optional<Path> layout = layouts.layout(name);
            if (layout.isEmpty()) {
                return Optional.empty();
            }
            ImageSource src = ImageSource.open(layout.get(), blobs);
            return Optional.of(src.storeAsManifest(blobs, src.resolve()));
        };
    }
}
