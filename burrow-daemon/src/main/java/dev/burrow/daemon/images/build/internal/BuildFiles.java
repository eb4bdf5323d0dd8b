package dev.burrow.daemon.images.build.internal;

import dev.burrow.oci.dockerfile.Step;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * The files of a build: the extracted context, and the layers COPY and ADD make from it or from
 * another stage's root (the Dockerfile front end's {@code BuildContext} and {@code CopyLayerWriter}).
 */
public interface BuildFiles {

    /** Extracts the context archive into {@code dir} (hostile-safe, {@code .dockerignore} applied). */
    Context extract(Path archive, Path dir) throws IOException;

    /** An extracted build context. */
    interface Context {
        /** The Dockerfile's text ({@code name} relative to the context root). */
        String dockerfile(String name) throws IOException;

        /**
         * The hash of a COPY's or ADD's inputs (names, modes, owners, contents): from the context,
         * or from {@code tree} (another stage's root) when it is not null.
         */
        String inputsHash(Step.CopyStep step, Path tree) throws IOException;

        /**
         * Writes the step's uncompressed layer tar to {@code tar}; returns its size.
         * {@code existingDirectory} tells whether an absolute path is a directory in the image so
         * far (a destination that is one is copied into, as Docker does).
         */
        long write(Step.CopyStep step, Path tree, Predicate<String> existingDirectory, Path tar) throws IOException;
    }
}
