package dev.burrow.daemon.images.build.internal;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.UnpackLimits;
import dev.burrow.oci.internal.Decompression;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * What the layers of an image hold, read from their tar headers only: whether a path is a
 * directory in the image (whiteouts and opaque directories honoured, the top layer winning).
 * Each layer is read once per build, whatever number of questions are asked about it.
 */
final class LayerPaths {
    /** Entries remembered per layer at most; a larger layer answers as if it held none beyond. */
    static final int MAX_ENTRIES_PER_LAYER = (int) UnpackLimits.MAX_ENTRIES;

    /** Characters of path names kept for all layers of a build: a RUN's layer is the tenant's word, its names bounded here. */
    static final long MAX_NAME_CHARS = 32L << 20;

    private record Index(Set<String> dirs, Set<String> others, Set<String> whiteouts, Set<String> opaque) {}

    private final BlobStore blobs;
    private final Map<Digest, Index> indexes = new HashMap<>();
    private long nameChars;

    LayerPaths(BlobStore blobs) {
        this.blobs = blobs;
    }

    /** The prefixes of {@code dir} ({@code a}, {@code a/b}, …) that are no directory once {@code layers} are applied. */
    List<String> missing(List<StageImage.LayerRef> layers, String dir) throws IOException {
        List<String> out = new ArrayList<>();
        String acc = "";
        for (String part : clean(dir).split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            acc = acc.isEmpty() ? part : acc + "/" + part;
            if (!isDirectory(layers, acc)) {
                out.add(acc);
            }
        }
        return out;
    }

    /** Whether {@code path} (absolute or relative to the root) is a directory once {@code layers} are applied. */
    boolean isDirectory(List<StageImage.LayerRef> layers, String path) throws IOException {
        String p = clean(path);
        if (p.isEmpty()) {
            return true;
        }
        for (int i = layers.size() - 1; i >= 0; i--) {
            Index x = index(layers.get(i).digest());
            if (x.dirs.contains(p)) {
                return true;
            }
            if (x.others.contains(p) || x.whiteouts.contains(p)) {
                return false;
            }
            for (String a = parent(p); a != null; a = parent(a)) {
                if (x.whiteouts.contains(a) || x.others.contains(a) || x.opaque.contains(a)) {
                    return false;
                }
            }
            if (x.opaque.contains("")) {
                return false;
            }
        }
        return false;
    }

    private Index index(Digest layer) throws IOException {
        Index have = indexes.get(layer);
        if (have != null) {
            return have;
        }
        Index x = new Index(new HashSet<>(), new HashSet<>(), new HashSet<>(), new HashSet<>());
        try (BufferedInputStream raw = new BufferedInputStream(blobs.open(layer));
             InputStream in = Decompression.open(raw, Decompression.sniff(raw));
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            int n = 0;
            while ((e = tar.getNextEntry()) != null && n++ < MAX_ENTRIES_PER_LAYER) {
                String name = clean(e.getName());
                nameChars += name.length();
                if (nameChars > MAX_NAME_CHARS) {
                    throw new ImageException("the image's layers name more than " + MAX_NAME_CHARS
                            + " characters of paths; COPY and WORKDIR cannot look them up");
                }
                int slash = name.lastIndexOf('/');
                String dir = slash < 0 ? "" : name.substring(0, slash);
                String base = name.substring(slash + 1);
                if (base.equals(".wh..wh..opq")) {
                    x.opaque.add(dir);
                } else if (base.startsWith(".wh.")) {
                    x.whiteouts.add((dir.isEmpty() ? "" : dir + "/") + base.substring(4));
                } else if (e.isDirectory()) {
                    x.dirs.add(name);
                } else {
                    x.others.add(name);
                }
                for (String a = dir; !a.isEmpty() && x.dirs.add(a); a = parent(a) == null ? "" : parent(a)) {
                    // a parent a layer lists only through its children is a directory too
                }
            }
        }
        indexes.put(layer, x);
        return x;
    }

    private static String parent(String p) {
        int slash = p.lastIndexOf('/');
        return slash < 0 ? null : p.substring(0, slash);
    }

    static String clean(String name) {
        String n = name;
        while (n.startsWith("./") || n.startsWith("/")) {
            n = n.substring(n.startsWith("./") ? 2 : 1);
        }
        while (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }
}
