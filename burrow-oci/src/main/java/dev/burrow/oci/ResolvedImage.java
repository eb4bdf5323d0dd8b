package dev.burrow.oci;

import java.util.List;
import java.util.Objects;

/**
 * An image resolved to one linux/amd64 manifest: everything needed to unpack and run it.
 *
 * @param manifestDigest the digest of the chosen manifest (for a docker-archive, of its
 *     {@code manifest.json}, which is the only manifest such an archive has)
 * @param configDigest the digest of the image config blob
 * @param config the runtime settings from the config's {@code config} object
 * @param layers the layers, lowest first
 * @param platform the platform of the image
 */
public record ResolvedImage(Digest manifestDigest, Digest configDigest, ImageConfig config, List<Layer> layers,
        Platform platform) {
    public ResolvedImage {
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        Objects.requireNonNull(configDigest, "configDigest");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(platform, "platform");
        layers = List.copyOf(layers);
    }
}
