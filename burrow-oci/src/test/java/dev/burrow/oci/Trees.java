package dev.burrow.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Describes a directory tree as a sorted map, for exact assertions. */
final class Trees {
    private Trees() {
    }

    /**
     * path → "d 0755 0:0", "f 0644 0:0 content", "l target 0:0". Contents are shown as text up
     * to 60 characters, otherwise as their length.
     */
    static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (p.equals(root)) {
                    continue;
                }
                out.put(root.relativize(p).toString(), describeOne(p));
            }
        }
        return out;
    }

    static String describeOne(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String owner = a.get("uid") + ":" + a.get("gid");
        if (Files.isSymbolicLink(p)) {
            return "l " + Files.readSymbolicLink(p) + " " + owner;
        }
        String perms = String.format("%04o", mode & 07777);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return "d " + perms + " " + owner;
        }
        byte[] bytes = Files.readAllBytes(p);
        String content = bytes.length <= 60 ? new String(bytes, StandardCharsets.UTF_8) : bytes.length + " bytes";
        return "f " + perms + " " + owner + " " + content;
    }

    /** Every path under dir (empty when dir is empty or missing). */
    static Map<String, String> snapshot(Path dir) throws IOException {
        return Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? describe(dir) : Map.of();
    }
}
