package dev.burrow.daemon.images;

import dev.burrow.oci.BlobStore;
import java.nio.file.Path;

/**
 * What a {@link SourceResolver} works with for one version: whose build it is, where it may
 * write (a directory under the version's, removed after the build), the build log, the shared
 * blob store and the version's settings (resources bound the builder microVM).
 */
public record SourceContext(String tenant, ImageVersion version, Path workDir, BuildLogFile log, BlobStore blobs) {}
