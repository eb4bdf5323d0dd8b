package dev.burrow.oci;

import java.util.Objects;

/**
 * One layer of a resolved image, in application order.
 *
 * @param digest the digest of the blob as stored (compressed)
 * @param size its size in bytes, verified against the blob
 * @param mediaType the media type the manifest declares
 * @param compression the compression the media type declares (the unpacker sniffs the real one)
 * @param diffId the digest of the uncompressed tar from the config's {@code rootfs.diff_ids}, or null
 */
public record Layer(Digest digest, long size, String mediaType, Compression compression, Digest diffId) {
    public Layer {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(compression, "compression");
    }
}
