package dev.burrow.daemon.images;

import dev.burrow.oci.Descriptor;
import java.io.IOException;

/**
 * Turns a source that is not a host path (a registry reference, a Dockerfile build) into an image
 * in the shared blob store. {@link VersionBuilder} then unpacks it like any other image.
 */
public interface SourceResolver {

    /**
     * Returns the descriptor of the image's manifest (or index) in {@link SourceContext#blobs()};
     * every blob it references must be there too. A failure the tenant should read (a refused
     * pull, a failing RUN) is a {@link SourceFailure}: its message becomes the version's reason.
     */
    Descriptor resolve(ImageSourceSpec source, SourceContext context) throws SourceFailure, IOException, InterruptedException;

    /** A source could not be resolved; the message names what and why, with no host path in it. */
    final class SourceFailure extends Exception {
        public SourceFailure(String message) {
            super(message);
        }

        public SourceFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
