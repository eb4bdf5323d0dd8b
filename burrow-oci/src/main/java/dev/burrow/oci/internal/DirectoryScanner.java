package dev.burrow.oci.internal;

import dev.burrow.oci.TarEntrySpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Turns a directory tree into layer entries, sorted by path, never following symlinks: modes,
 * ownership, symlink targets, hard links (by inode), device nodes, FIFOs and the xattrs Burrow
 * keeps. File contents are read later, when the layer is written.
 */
public final class DirectoryScanner {
    private DirectoryScanner() {
    }

    public static List<TarEntrySpec> scan(Path dir) throws IOException {
        List<TarEntrySpec> out = new ArrayList<>();
        Map<String, String> inodes = new HashMap<>();
        walk(dir, dir, out, inodes);
        return out;
    }

    private static void walk(Path root, Path dir, List<TarEntrySpec> out, Map<String, String> inodes) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
        for (Path p : children) {
            String name = root.relativize(p).toString();
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,ino,dev,nlink,rdev,isDirectory,isRegularFile,isSymbolicLink",
                    LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            long uid = (Integer) a.get("uid") & 0xffffffffL;
            long gid = (Integer) a.get("gid") & 0xffffffffL;
            int type = mode & 0170000;
            TarEntrySpec spec;
            if ((Boolean) a.get("isSymbolicLink")) {
                spec = TarEntrySpec.symlink(name, Files.readSymbolicLink(p).toString());
            } else if ((Boolean) a.get("isDirectory")) {
                spec = TarEntrySpec.dir(name);
            } else if ((Boolean) a.get("isRegularFile")) {
                String key = a.get("dev") + ":" + a.get("ino");
                String first = ((Integer) a.get("nlink")) > 1 ? inodes.putIfAbsent(key, name) : null;
                spec = first != null ? TarEntrySpec.hardlink(name, first) : TarEntrySpec.file(name, p);
            } else if (type == 0020000 || type == 0060000) {
                long rdev = (Long) a.get("rdev");
                int major = (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
                int minor = (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
                spec = type == 0020000 ? TarEntrySpec.charDevice(name, major, minor) : TarEntrySpec.blockDevice(name, major, minor);
            } else if (type == 0010000) {
                spec = TarEntrySpec.fifo(name);
            } else {
                continue; // sockets and the like are not file system content
            }
            spec = spec.withMode(mode & 07777).withOwner(uid, gid);
            if (spec.type() != TarEntrySpec.Type.HARDLINK) {
                for (String x : Posix.llistxattr(p)) {
                    if (EntryAttributes.allowed(x)) {
                        spec = spec.withXattr(x, Posix.lgetxattr(p, x));
                    }
                }
            }
            out.add(spec);
            if (spec.type() == TarEntrySpec.Type.DIRECTORY) {
                walk(root, p, out, inodes);
            }
        }
    }
}
