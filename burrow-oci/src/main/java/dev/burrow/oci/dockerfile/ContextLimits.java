package dev.burrow.oci.dockerfile;

/**
 * Limits of a build context and of the layers made from it. A zip or tar bomb cannot pass
 * {@code maxTotalBytes}: the bytes actually extracted are counted, whatever the archive declares.
 *
 * @param maxEntries entries of the archive (and of one COPY/ADD layer)
 * @param maxTotalBytes bytes extracted from the archive (and written into one COPY/ADD layer)
 * @param maxNameLength one entry name or symlink target, in characters
 */
public record ContextLimits(int maxEntries, long maxTotalBytes, int maxNameLength) {
    public static final int DEFAULT_MAX_ENTRIES = 100_000;
    public static final long DEFAULT_MAX_TOTAL_BYTES = 4L << 30;
    public static final int DEFAULT_MAX_NAME_LENGTH = 4096;
    /** A Dockerfile read from the context (as {@link DockerfileLimits#MAX_BYTES}). */
    public static final int MAX_DOCKERFILE_BYTES = DockerfileLimits.MAX_BYTES;
    /** The {@code .dockerignore} file. */
    public static final int MAX_DOCKERIGNORE_BYTES = 1 << 20;

    public static final ContextLimits DEFAULT = new ContextLimits(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_TOTAL_BYTES,
            DEFAULT_MAX_NAME_LENGTH);

    public ContextLimits {
        if (maxEntries <= 0 || maxTotalBytes <= 0 || maxNameLength <= 0) {
            throw new IllegalArgumentException("context limits must be positive");
        }
    }
}
