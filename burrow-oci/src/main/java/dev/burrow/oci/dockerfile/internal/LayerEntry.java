package dev.burrow.oci.dockerfile.internal;

import java.nio.file.Path;
import java.time.Instant;

/**
 * One entry a COPY/ADD layer will hold, before any byte is written.
 *
 * @param name the layer path without a leading {@code /}
 * @param source a host file to read (regular files from a tree), or null
 * @param content inline bytes (heredoc files), or null
 */
public record LayerEntry(String name, Type type, int mode, long uid, long gid, Instant mtime, Path source, byte[] content,
        String linkTarget, long size) {

    public enum Type {
        DIRECTORY, FILE, SYMLINK
    }
}
