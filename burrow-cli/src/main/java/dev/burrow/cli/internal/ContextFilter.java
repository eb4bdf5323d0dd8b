package dev.burrow.cli.internal;

import dev.burrow.oci.dockerfile.DockerIgnore;

/** Which paths of a build context stay home: Docker's {@code .dockerignore} rules (burrow-oci's {@link DockerIgnore}). */
interface ContextFilter {
    /** Whether {@code relPath} (slash-separated, relative to the context root) is left out. */
    boolean excluded(String relPath);

    /** Whether a {@code !pattern} may bring back something below an excluded directory. */
    boolean hasExceptions();

    /** The filter of a {@code .dockerignore}'s text ({@code ""}: nothing excluded). */
    static ContextFilter of(String dockerignore) {
        DockerIgnore rules = DockerIgnore.parse(dockerignore);
        return new ContextFilter() {
            @Override
            public boolean excluded(String relPath) {
                return rules.excluded(relPath);
            }

            @Override
            public boolean hasExceptions() {
                return rules.hasExceptions();
            }
        };
    }
}
