package dev.burrow.vmm;

import java.nio.file.Path;

/**
 * Where a microVM's console output is kept: a ring of two files, the {@code newer} half being
 * appended to and the {@code older} half before it (absent until the first rotation). When the
 * newer half is full it is renamed over the older one and a new newer half starts, so a reader
 * that holds a half open keeps reading it whole after a rotation. The guest writes these bytes:
 * they are hostile (any bytes, any line length).
 *
 * @param newer the half being written (may not exist yet: nothing printed)
 * @param older the half before it (may not exist)
 */
public record ConsoleRing(Path newer, Path older) {
}
