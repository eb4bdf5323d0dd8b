package dev.burrow.oci.internal;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few libc calls java.nio cannot make: {@code symlink} with an exact target text, and the
 * {@code l*xattr} family (which never follow a symlink and reach every namespace).
 */
public final class Posix {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    private static final int ERANGE = 34;

    private static final MethodHandle SYMLINK = handle("symlink", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle LSETXATTR = handle("lsetxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LGETXATTR = handle("lgetxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle LLISTXATTR = handle("llistxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Posix() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name)), fd, ERRNO_OPT);
    }

    /** Creates a symbolic link whose target is exactly {@code target}. */
    public static void symlink(String target, Path link) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int rc = (int) SYMLINK.invokeExact(state, cString(a, target), cString(a, link.toString()));
            if (rc != 0) {
                throw failure("symlink", link, errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets an extended attribute on the path itself (a symlink is not followed). */
    public static void lsetxattr(Path p, String name, byte[] value) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE_LAYOUT, 0, value.length);
            int rc = (int) LSETXATTR.invokeExact(state, cString(a, p.toString()), cString(a, name), v,
                    (long) value.length, 0);
            if (rc != 0) {
                throw failure("setxattr " + name, p, errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Lists the extended attribute names of the path itself. */
    public static List<String> llistxattr(Path p) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment path = cString(a, p.toString());
            for (long size = 1024; ; size *= 4) {
                MemorySegment state = a.allocate(CAPTURE);
                MemorySegment buf = a.allocate(size);
                long n = (long) LLISTXATTR.invokeExact(state, path, buf, size);
                if (n < 0) {
                    int err = errno(state);
                    if (err == ERANGE && size < 1 << 24) {
                        continue;
                    }
                    throw failure("listxattr", p, err);
                }
                List<String> names = new ArrayList<>();
                byte[] bytes = buf.asSlice(0, n).toArray(JAVA_BYTE_LAYOUT);
                int start = 0;
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] == 0) {
                        if (i > start) {
                            names.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                        }
                        start = i + 1;
                    }
                }
                return names;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads one extended attribute of the path itself. */
    public static byte[] lgetxattr(Path p, String name) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment path = cString(a, p.toString());
            MemorySegment n = cString(a, name);
            for (long size = 256; ; size *= 4) {
                MemorySegment state = a.allocate(CAPTURE);
                MemorySegment buf = a.allocate(size);
                long got = (long) LGETXATTR.invokeExact(state, path, n, buf, size);
                if (got < 0) {
                    int err = errno(state);
                    if (err == ERANGE && size < 1 << 24) {
                        continue;
                    }
                    throw failure("getxattr " + name, p, err);
                }
                return buf.asSlice(0, got).toArray(JAVA_BYTE_LAYOUT);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static final java.lang.foreign.ValueLayout.OfByte JAVA_BYTE_LAYOUT = java.lang.foreign.ValueLayout.JAVA_BYTE;

    private static MemorySegment cString(Arena a, String s) {
        return a.allocateFrom(s, StandardCharsets.UTF_8);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static IOException failure(String call, Path p, int errno) {
        return new IOException(call + " " + p + ": " + strerror(errno) + " (errno " + errno + ")");
    }

    private static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(1024).getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            return "error";
        }
    }
}
