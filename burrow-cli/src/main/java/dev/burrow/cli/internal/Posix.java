package dev.burrow.cli.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Small Unix helpers: our uid, users' homes and groups from /etc/passwd and /etc/group. */
final class Posix {
    private Posix() {}

    static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (Exception e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
        }
    }

    private static String[] passwdEntry(String user) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":", -1);
                if (f.length >= 7 && f[0].equals(user)) return f;
            }
        } catch (IOException ignored) {
            // fall through
        }
        return null;
    }

    static Path homeOf(String user) {
        String[] f = passwdEntry(user);
        return f == null || f[5].isEmpty() ? null : Path.of(f[5]);
    }

    static String primaryGroupOf(String user) {
        String[] f = passwdEntry(user);
        if (f == null) return null;
        try {
            for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                String[] g = line.split(":", -1);
                if (g.length >= 3 && g[2].equals(f[3])) return g[0];
            }
        } catch (IOException ignored) {
            // fall through
        }
        return null;
    }

    /** Like {@link Files#createDirectories} (new ones 0700), returning the directories it created. */
    static List<Path> createDirectories(Path dir) throws IOException {
        List<Path> created = new ArrayList<>();
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            created.add(p);
            p = p.getParent();
        }
        Collections.reverse(created);
        for (Path c : created) {
            Files.createDirectory(c, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return created;
    }
}
