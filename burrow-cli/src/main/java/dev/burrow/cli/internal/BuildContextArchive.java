package dev.burrow.cli.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The build context {@code burrow image build} uploads: a directory as a tar, without what its
 * {@code .dockerignore} excludes (as Docker's CLI does, {@code Dockerfile} and
 * {@code .dockerignore} always go), symlinks kept as symlinks and never followed. With
 * {@code --file}, the chosen Dockerfile travels as {@code Dockerfile} at the root, which is
 * where burrowd reads it (SPEC §1), in place of a root {@code Dockerfile} the directory may have.
 */
final class BuildContextArchive {
    static final String DOCKERFILE = "Dockerfile";
    static final String DOCKERIGNORE = ".dockerignore";
    /** burrowd refuses a larger Dockerfile; the CLI says so before uploading anything. */
    static final long MAX_DOCKERFILE_BYTES = 1 << 20;
    /** The largest {@code .dockerignore} the CLI reads. */
    static final long MAX_DOCKERIGNORE_BYTES = 1 << 20;

    private final Path root;
    private final ContextFilter filter;
    /** The Dockerfile's bytes when it is not the root's own {@code Dockerfile}; null otherwise. */
    private final byte[] substitute;
    /** Its modification time, seconds since the epoch. */
    private final long substituteMtime;

    private BuildContextArchive(Path root, ContextFilter filter, byte[] substitute, long substituteMtime) {
        this.root = root;
        this.filter = filter;
        this.substitute = substitute;
        this.substituteMtime = substituteMtime;
    }

    /**
     * The context in {@code dir} with the Dockerfile {@code file} (relative: inside {@code dir};
     * absolute: anywhere). Fails with a message when either is missing or too large.
     */
    static BuildContextArchive of(Path dir, String file) {
        if (!Files.isDirectory(dir)) {
            throw new BurrowException("build context " + dir + " is not a directory (use - for a tar on stdin)");
        }
        Path root = dir.toAbsolutePath().normalize();
        Path dockerfile = root.resolve(file).normalize();
        if (!Files.isRegularFile(dockerfile)) {
            throw new BurrowException("no Dockerfile at " + dockerfile + (file.equals(DOCKERFILE) ? "" : " (--file " + file + ")"));
        }
        byte[] substitute = null;
        try {
            if (Files.size(dockerfile) > MAX_DOCKERFILE_BYTES) {
                throw new BurrowException(dockerfile + " is larger than " + Units.humanBytes(MAX_DOCKERFILE_BYTES)
                        + ", the largest Dockerfile burrowd reads");
            }
            if (!dockerfile.equals(root.resolve(DOCKERFILE))) {
                substitute = Files.readAllBytes(dockerfile);
            }
            return new BuildContextArchive(root, ContextFilter.of(readIgnore(root)), substitute,
                    Files.getLastModifiedTime(dockerfile).toMillis() / 1000);
        } catch (IOException e) {
            throw new BurrowException("cannot read the build context " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String readIgnore(Path root) throws IOException {
        Path ignore = root.resolve(DOCKERIGNORE);
        if (!Files.isRegularFile(ignore, LinkOption.NOFOLLOW_LINKS)) {
            return "";
        }
        if (Files.size(ignore) > MAX_DOCKERIGNORE_BYTES) {
            throw new BurrowException(ignore + " is larger than " + Units.humanBytes(MAX_DOCKERIGNORE_BYTES));
        }
        return Files.readString(ignore, StandardCharsets.UTF_8);
    }

    /** What the tar holds, relative to the root, sorted (parents before children). */
    List<String> names() throws IOException {
        return kept().stream().map(p -> root.relativize(p).toString().replace('\\', '/')).toList();
    }

    /** Writes the tar. */
    void write(OutputStream out) throws IOException {
        TarWriter tar = new TarWriter(out);
        tar.entries(root, kept());
        if (substitute != null) {
            try (InputStream in = new ByteArrayInputStream(substitute)) {
                tar.entry(DOCKERFILE, '0', 0644, substitute.length, substituteMtime, "", in);
            }
        }
        tar.finish();
    }

    /**
     * The paths to send: every file, symlink and directory not excluded, and the directories on
     * the way to a file an exception ({@code !pattern}) brings back. Without exceptions an
     * excluded directory is not walked at all (a {@code node_modules} or {@code .git} costs nothing).
     */
    private List<Path> kept() throws IOException {
        TreeSet<Path> out = new TreeSet<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.equals(root)) {
                    return FileVisitResult.CONTINUE;
                }
                if (!excluded(dir)) {
                    out.add(dir);
                    return FileVisitResult.CONTINUE;
                }
                return filter.hasExceptions() ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (!excluded(file)) {
                    for (Path p = file; p != null && !p.equals(root); p = p.getParent()) {
                        out.add(p);
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return new ArrayList<>(out);
    }

    private boolean excluded(Path p) {
        String rel = root.relativize(p).toString().replace('\\', '/');
        if (rel.equals(DOCKERIGNORE)) {
            return false;
        }
        if (rel.equals(DOCKERFILE)) {
            return substitute != null; // replaced by the chosen one
        }
        return filter.excluded(rel);
    }
}
