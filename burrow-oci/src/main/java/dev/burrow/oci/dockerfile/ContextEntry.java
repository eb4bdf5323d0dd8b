package dev.burrow.oci.dockerfile;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A file, directory or symlink of a build context or of another stage's tree, as COPY sees it.
 *
 * @param path where it was found, relative to the tree's root ({@code /}-separated; a source
 *     symlink that was followed keeps the name it was matched by)
 * @param hostPath the real file on the host (never a symlink, except for {@link Kind#SYMLINK})
 * @param mode permission bits (with setuid/setgid/sticky)
 * @param uid owner (0 for a build context: COPY writes root-owned files unless --chown)
 * @param linkTarget the target of a symlink, as written; null otherwise
 */
public record ContextEntry(String path, Path hostPath, Kind kind, int mode, long uid, long gid, long size,
        Instant mtime, String linkTarget) {

    public enum Kind {
        FILE, DIRECTORY, SYMLINK
    }

    /** The last component of {@link #path} ("" for the root). */
    public String name() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
