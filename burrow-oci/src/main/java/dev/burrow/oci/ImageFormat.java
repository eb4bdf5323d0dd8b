package dev.burrow.oci;

/** The three on-disk shapes an image can arrive in. */
public enum ImageFormat {
    /** A directory holding an OCI image layout ({@code oci-layout}, {@code index.json}, {@code blobs/}). */
    OCI_LAYOUT,
    /** A tar of an OCI image layout ({@code oci-archive}, {@code oci-layout-tar}). */
    OCI_ARCHIVE,
    /** The tar written by {@code docker save}: {@code manifest.json}, a config and layer tars. */
    DOCKER_ARCHIVE
}
