package dev.burrow.oci.registry;

import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import java.util.List;

/**
 * What a pull left in the blob store.
 *
 * @param top            the manifest or index the reference named (resolve it with
 *                       {@code ImageSource.fromStore(store, top)})
 * @param manifest       the platform's image manifest ({@code top} itself when it is no index)
 * @param config         the image config blob
 * @param layers         the layer blobs, in order
 * @param bytesFetched   bytes transferred from the registry for this pull
 * @param bytesFromCache bytes of blobs the store already had
 */
public record PulledImage(Descriptor top, Descriptor manifest, Digest config, List<Descriptor> layers,
        long bytesFetched, long bytesFromCache) {
    public PulledImage {
        layers = List.copyOf(layers);
    }
}
