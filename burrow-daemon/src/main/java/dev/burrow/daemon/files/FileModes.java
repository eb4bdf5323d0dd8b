package dev.burrow.daemon.files;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.jail.JailIds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * burrowd's file modes. The data directory holds the database (with {@code env} values and key
 * hashes), uploads, templates, guest RAM and disks: nothing in it is for other users.
 */
public final class FileModes {

    /** The umask burrowd runs with: files 0600, directories 0700, for everything it and its children create. */
    public static final int UMASK = 0077;

    private static final Set<PosixFilePermission> GROUP_AND_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final MethodHandle UMASK_CALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("umask").orElseThrow(() -> new IllegalStateException("libc has no umask")),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private FileModes() {
    }

    /** Sets the process umask to {@link #UMASK}; returns the previous one. Process-wide: call before creating files. */
    public static int restrictUmask() {
        try {
            return (int) UMASK_CALL.invokeExact(UMASK);
        } catch (Throwable t) {
            throw new IllegalStateException("umask(077) failed", t);
        }
    }

    /**
     * Creates the data directory 0700 (or makes an existing one 0700) and takes group and other
     * permissions off everything beneath it that an older burrowd created more openly — except the
     * group permissions of what jailed VMMs read, whose group is the instance's VMM group (no user is
     * in it; docs/adr/0017-the-jail.md). Symbolic links are not followed. Returns how many entries
     * were tightened.
     */
    public static int secureDataDirectory(Path dataDir) {
        long jailsGroup = JailIds.forInstance(EngineConfig.instanceIdFor(dataDir)).group();
        try {
            Files.createDirectories(dataDir);
            int[] tightened = {0};
            Files.walkFileTree(dataDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    tighten(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isRegularFile() || attrs.isDirectory()) {
                        tighten(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // gone while walking (a VMM's socket, a finished build)
                }

                private void tighten(Path p) throws IOException {
                    try {
                        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                        boolean shared = ((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue() == jailsGroup;
                        if (perms.removeAll(shared ? OTHERS : GROUP_AND_OTHERS)) {
                            Files.setPosixFilePermissions(p, perms);
                            tightened[0]++;
                        }
                    } catch (NoSuchFileException gone) {
                        // removed while walking (a VMM's socket, a finished build's staging)
                    }
                }
            });
            return tightened[0];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot secure the data directory: " + e.getMessage(), e);
        }
    }
}
