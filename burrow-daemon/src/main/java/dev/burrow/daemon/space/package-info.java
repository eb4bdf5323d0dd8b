/**
 * Space: what the data directory holds ({@code GET /v1/system/df}) and the collector that frees
 * what nothing needs any more ({@code POST /v1/system/prune}). {@link dev.burrow.daemon.space.SpaceService}
 * takes the clock and the lists of referrers (version rows, upload rows, registered
 * {@link dev.burrow.daemon.images.BlobReferences}) as inputs; {@link dev.burrow.daemon.space.BuildGate}
 * keeps a prune off the blobs a build is resolving. See docs/space.md.
 */
package dev.burrow.daemon.space;
