/**
 * Pulls images from OCI distribution registries (Docker Hub, GHCR, a private registry) into the
 * shared {@link dev.burrow.oci.BlobStore}.
 *
 * <p>{@link dev.burrow.oci.registry.RegistryClient} speaks the pull half of the distribution API:
 * token and basic auth, platform selection in an index, manifests capped and digest-checked,
 * blobs streamed through a hash into the store (nothing unverified ever becomes visible), resumed
 * with {@code Range} after a dropped connection, fetched once however many pulls want them.
 */
package dev.burrow.oci.registry;
