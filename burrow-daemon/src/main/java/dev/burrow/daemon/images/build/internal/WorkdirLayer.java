package dev.burrow.daemon.images.build.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The directories a {@code WORKDIR} must create (the components of its path that are no
 * directory in the image so far: {@link LayerPaths#missing}), written as a layer of directory entries
 * (0755, owned by the stage's numeric user or root, mtime 0 so the bytes are the same each time).
 * A directory the image already has is left as it is.
 */
final class WorkdirLayer {
    private static final int DIR_MODE = 0755;

    private WorkdirLayer() {
    }

    /** Writes the layer creating {@code dirs} (parents first); the last one is owned by {@code uid}. */
    static long write(List<String> dirs, int uid, int gid, Path tar) throws IOException {
        List<String> sorted = new ArrayList<>(dirs);
        try (OutputStream out = Files.newOutputStream(tar); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String d : sorted) {
                TarArchiveEntry e = new TarArchiveEntry(d + "/");
                e.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~07777 | DIR_MODE);
                e.setModTime(0);
                boolean last = d.equals(sorted.getLast());
                e.setUserId(last ? uid : 0);
                e.setGroupId(last ? gid : 0);
                t.putArchiveEntry(e);
                t.closeArchiveEntry();
            }
            t.finish();
        }
        return Files.size(tar);
    }
}
