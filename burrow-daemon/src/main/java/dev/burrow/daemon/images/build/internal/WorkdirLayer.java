package dev.burrow.daemon.images.build.internal;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.internal.Decompression;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The directories a {@code WORKDIR} must create: the components of its path that no layer so far
 * holds (whiteouts and opaque directories honoured), written as a layer of directory entries
 * (0755, owned by the stage's numeric user or root, mtime 0 so the bytes are the same each time).
 * A directory the image already has is left as it is.
 */
final class WorkdirLayer {
    private static final int DIR_MODE = 0755;

    private WorkdirLayer() {
    }

    /** The prefixes of {@code dir} ({@code a}, {@code a/b}, …) missing after applying {@code layers}. */
    static List<String> missing(BlobStore blobs, List<StageImage.LayerRef> layers, String dir) throws IOException {
        Map<String, Boolean> present = new LinkedHashMap<>();
        String acc = "";
        for (String part : dir.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            acc = acc.isEmpty() ? part : acc + "/" + part;
            present.put(acc, false);
        }
        for (StageImage.LayerRef l : layers) {
            try (BufferedInputStream raw = new BufferedInputStream(blobs.open(l.digest()));
                 InputStream in = Decompression.open(raw, Decompression.sniff(raw));
                 TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    apply(present, clean(e.getName()));
                }
            }
        }
        return present.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    }

    private static void apply(Map<String, Boolean> present, String name) {
        int slash = name.lastIndexOf('/');
        String parent = slash < 0 ? "" : name.substring(0, slash);
        String base = name.substring(slash + 1);
        if (base.equals(".wh..wh..opq")) {
            present.replaceAll((p, v) -> v && !(parent.isEmpty() || p.startsWith(parent + "/")));
        } else if (base.startsWith(".wh.")) {
            String gone = (parent.isEmpty() ? "" : parent + "/") + base.substring(4);
            present.replaceAll((p, v) -> v && !(p.equals(gone) || p.startsWith(gone + "/")));
        } else if (present.containsKey(name)) {
            present.put(name, true);
        }
    }

    private static String clean(String name) {
        String n = name;
        while (n.startsWith("./") || n.startsWith("/")) {
            n = n.substring(n.startsWith("./") ? 2 : 1);
        }
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
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
