package dev.burrow.oci.dockerfile;

import dev.burrow.oci.ImageException;
import dev.burrow.oci.dockerfile.internal.ContextExtractor;
import dev.burrow.oci.dockerfile.internal.TreeSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A build context extracted on the host: a tar (plain, gzip or zstd) or a zip, unpacked
 * hostile-safe into a private directory, with its {@code .dockerignore} applied to what COPY and
 * ADD can see (the Dockerfile and {@code .dockerignore} stay readable even when ignored).
 */
public final class BuildContext {
    private final Path root;
    private final DockerIgnore ignore;
    private final TreeSource tree;

    private BuildContext(Path root, DockerIgnore ignore, Map<String, TreeSource.Meta> meta) {
        this.root = root;
        this.ignore = ignore;
        this.tree = new TreeSource(root, TreeSource.Mode.CONTEXT, ignore, meta);
    }

    /**
     * Extracts {@code archive} into {@code dir} (created with mode 0700; it must not exist or be
     * empty). Absolute names, {@code ..}, writes through symlinks, device nodes and anything past
     * the limits are refused with an {@link ImageException} naming the entry. On failure what was
     * extracted stays in {@code dir} for the caller to remove.
     */
    public static BuildContext extract(Path archive, Path dir, ContextLimits limits) throws IOException {
        Map<String, TreeSource.Meta> meta = new ContextExtractor(dir, limits).extract(archive);
        DockerIgnore ignore = DockerIgnore.NONE;
        Path di = new TreeSource(dir, TreeSource.Mode.CONTEXT, DockerIgnore.NONE, meta).regularFile(".dockerignore");
        if (di != null) {
            if (Files.size(di) > ContextLimits.MAX_DOCKERIGNORE_BYTES) {
                throw new ImageException(".dockerignore is larger than the limit of "
                        + ContextLimits.MAX_DOCKERIGNORE_BYTES + " bytes");
            }
            try {
                ignore = DockerIgnore.parse(Files.readString(di, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new ImageException(e.getMessage());
            }
        }
        return new BuildContext(dir, ignore, meta);
    }

    /** The directory the context was extracted into. */
    public Path root() {
        return root;
    }

    public DockerIgnore ignore() {
        return ignore;
    }

    /** The Dockerfile's text ({@code name} relative to the context root, "Dockerfile" when null). */
    public String dockerfile(String name) throws IOException {
        String n = name == null || name.isEmpty() ? "Dockerfile" : name;
        Path p = tree.regularFile(n);
        if (p == null) {
            throw new ImageException("the build context has no file '" + n + "'");
        }
        if (Files.size(p) > ContextLimits.MAX_DOCKERFILE_BYTES) {
            throw new ImageException("'" + n + "' is larger than the limit of " + ContextLimits.MAX_DOCKERFILE_BYTES
                    + " bytes");
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    /**
     * What a COPY/ADD source names: a path relative to the context root or a glob; a symlink
     * named directly is followed (inside the context only). A source leading outside the context,
     * or matching nothing that {@code .dockerignore} leaves visible, is an error naming it.
     */
    public List<ContextEntry> resolve(String source) throws IOException {
        return tree.resolve(source);
    }

    /** The visible entries under a directory entry, depth first in name order (symlinks not followed). */
    public List<ContextEntry> walk(ContextEntry directory) throws IOException {
        return tree.walk(directory);
    }

    TreeSource tree() {
        return tree;
    }
}
