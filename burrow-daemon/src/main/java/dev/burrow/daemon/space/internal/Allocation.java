package dev.burrow.daemon.space.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Bytes a path really occupies on disk: {@code st_blocks × 512} from {@code lstat(2)}, which
 * java.nio does not expose. A template's memory file is as large as the guest's RAM but sparse:
 * its length says 512 MiB where a few MiB are allocated, and only the latter is what a prune frees.
 */
public final class Allocation {
    /** {@code struct stat} on x86-64 Linux (Burrow boots x86 only): 144 bytes, {@code st_blocks} at offset 64. */
    private static final long STAT_SIZE = 144;
    private static final long ST_BLOCKS = 64;
    private static final int ENOENT = 2;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle LSTAT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("lstat").orElseThrow(() -> new IllegalStateException("libc has no lstat")),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), Linker.Option.captureCallState("errno"));

    private Allocation() {
    }

    /** Allocated bytes of the path itself (a symlink's own, never its target's); 0 when it is gone. */
    public static long of(Path p) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            MemorySegment stat = a.allocate(STAT_SIZE, 8);
            int rc = (int) LSTAT.invokeExact(state, a.allocateFrom(p.toString()), stat);
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == ENOENT) {
                    return 0;
                }
                throw new IOException("lstat " + p + " failed (errno " + errno + ")");
            }
            return stat.get(JAVA_LONG, ST_BLOCKS) * 512;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Allocated bytes of a whole tree (directories included, symlinks not followed); 0 when it is gone. */
    public static long ofTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long[] sum = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                sum[0] += of(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                sum[0] += of(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // removed while we walked
                }
                throw exc;
            }
        });
        return sum[0];
    }
}
