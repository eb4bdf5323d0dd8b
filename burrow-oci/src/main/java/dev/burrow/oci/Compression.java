package dev.burrow.oci;

/** Layer compression. Detected from a layer's first bytes, not trusted from its media type. */
public enum Compression {
    NONE,
    GZIP,
    ZSTD
}
