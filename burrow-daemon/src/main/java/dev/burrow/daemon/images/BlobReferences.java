package dev.burrow.daemon.images;

import dev.burrow.oci.Digest;
import java.io.IOException;
import java.util.Set;

/**
 * Blobs of the shared store that something still needs (a version's image, the layer cache, a
 * build in progress): the collector keeps every blob any registered source names.
 */
public interface BlobReferences {

    /** The blobs this source needs now. */
    Set<Digest> referenced() throws IOException;

    /**
     * Called by a prune before {@link #referenced()}: a cache drops what a prune may reclaim
     * (everything, for the layer cache) and says how many entries went. Default: nothing to drop.
     */
    default int forget() throws IOException {
        return 0;
    }
}
