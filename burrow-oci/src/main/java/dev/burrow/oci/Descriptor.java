package dev.burrow.oci;

import java.util.Objects;

/** An OCI content descriptor: what a blob is, its digest and its size in bytes. */
public record Descriptor(String mediaType, Digest digest, long size, Platform platform) {
    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("size < 0: " + size);
        }
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, null);
    }

    public Descriptor withPlatform(Platform p) {
        return new Descriptor(mediaType, digest, size, p);
    }
}
