package dev.burrow.daemon.images.build.internal;

import dev.burrow.oci.dockerfile.BuildContext;
import dev.burrow.oci.dockerfile.ContextLimits;
import dev.burrow.oci.dockerfile.CopyLayerWriter;
import dev.burrow.oci.dockerfile.Step;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * {@link BuildFiles} on the Dockerfile front end: {@link BuildContext} extracts the context,
 * {@link CopyLayerWriter} writes COPY/ADD layers. {@code --chown} takes numeric ids only (names
 * would have to be read from the image being built).
 */
public final class FrontEndFiles implements BuildFiles {
    private final ContextLimits limits;

    public FrontEndFiles(ContextLimits limits) {
        this.limits = limits;
    }

    @Override
    public Context extract(Path archive, Path dir) throws IOException {
        BuildContext ctx = BuildContext.extract(archive, dir, limits);
        CopyLayerWriter writer = new CopyLayerWriter(CopyLayerWriter.IdLookup.NUMERIC_ONLY, limits, path -> false);
        return new Context() {
            @Override
            public String dockerfile(String name) throws IOException {
                return ctx.dockerfile(name);
            }

            @Override
            public String inputsHash(Step.CopyStep step, Path tree) throws IOException {
                return tree == null ? writer.inputsHash(step, ctx) : writer.inputsHash(step, tree);
            }

            @Override
            public long write(Step.CopyStep step, Path tree, Predicate<String> existingDirectory, Path tar) throws IOException {
                CopyLayerWriter writer = new CopyLayerWriter(CopyLayerWriter.IdLookup.NUMERIC_ONLY, limits, existingDirectory);
                try (OutputStream out = Files.newOutputStream(tar)) {
                    return (tree == null ? writer.write(step, ctx, out) : writer.write(step, tree, out)).bytes();
                }
            }
        };
    }
}
