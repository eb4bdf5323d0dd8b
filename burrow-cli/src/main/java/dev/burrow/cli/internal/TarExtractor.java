package dev.burrow.cli.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Extracts a tar stream that comes from a microVM, which is hostile: every entry must land
 * inside the destination. Names that are absolute, contain {@code ..}, NUL or nothing are
 * refused; no write goes through a symlink (each parent is checked, an existing symlink at the
 * target is replaced, not followed); symlinks are created as they are (they are never followed
 * later); hard links and special files are skipped with a warning; modes keep their permission
 * bits only (no setuid, setgid or sticky). ustar headers with pax {@code path}, {@code linkpath}
 * and {@code size} records are understood; a pax header is bounded by {@link #MAX_PAX_BYTES}.
 */
public final class TarExtractor {
    static final int BLOCK = 512;
    static final int MAX_PAX_BYTES = 1 << 20;
    static final int MAX_NAME_BYTES = 4096;

    private final Path root;
    private final InputStream in;
    private final LongConsumer progress;
    private final List<String> warnings = new ArrayList<>();
    private final byte[] block = new byte[BLOCK];
    private final byte[] buf = new byte[1 << 16];
    private long bytes;

    private TarExtractor(Path root, InputStream in, LongConsumer progress) {
        this.root = root;
        this.in = in;
        this.progress = progress;
    }

    /** Extracts {@code in} under {@code root} (an existing directory); returns the warnings (skipped entries). */
    public static List<String> extract(InputStream in, Path root, LongConsumer progress) throws IOException {
        Path real = root.toRealPath();
        TarExtractor t = new TarExtractor(real, in, progress);
        t.run();
        return t.warnings;
    }

    private void run() throws IOException {
        String paxPath = null, paxLink = null;
        long paxSize = -1;
        while (true) {
            if (!readBlock(true)) {
                throw new EOFException("the tar stream ended without its end marker (the transfer was cut)");
            }
            if (allZero(block)) {
                return; // end marker (the second zero block may follow; nothing after it matters)
            }
            checkChecksum();
            char type = (char) (block[156] == 0 ? '0' : block[156]);
            long size = octal(124, 12);
            String name = text(0, 100);
            String prefix = magicUstar() ? text(345, 155) : "";
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            String link = text(157, 100);
            int mode = (int) octal(100, 8);
            long mtime = octal(136, 12);
            if (type == 'x' || type == 'g') {
                if (size > MAX_PAX_BYTES) {
                    throw new IOException("a pax header of " + size + " bytes (the limit is " + MAX_PAX_BYTES + ")");
                }
                byte[] data = readData((int) size);
                if (type == 'x') {
                    for (String[] kv : paxRecords(data)) {
                        switch (kv[0]) {
                            case "path" -> paxPath = kv[1];
                            case "linkpath" -> paxLink = kv[1];
                            case "size" -> paxSize = parseSize(kv[1]);
                            default -> { }
                        }
                    }
                }
                continue;
            }
            if (paxPath != null) {
                name = paxPath;
            }
            if (paxLink != null) {
                link = paxLink;
            }
            if (paxSize >= 0) {
                size = paxSize;
            }
            paxPath = null;
            paxLink = null;
            paxSize = -1;
            entry(type, name, link, size, mode, mtime);
        }
    }

    private void entry(char type, String name, String link, long size, int mode, long mtime) throws IOException {
        Path target = target(name);
        switch (type) {
            case '0', '7' -> {
                if (target == null) {
                    throw new IOException("a file entry with no name");
                }
                parents(target);
                replaceNonDirectory(target);
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    copy(size, out);
                }
                pad(size);
                permissions(target, mode);
                Files.setLastModifiedTime(target, FileTime.fromMillis(mtime * 1000));
            }
            case '5' -> {
                if (target != null) {
                    parents(target);
                    directory(target);
                    permissions(target, mode | 0700); // keep it writable for what follows
                }
                skip(size);
            }
            case '2' -> {
                if (target == null) {
                    throw new IOException("a symlink entry with no name");
                }
                parents(target);
                replaceNonDirectory(target);
                Files.createSymbolicLink(target, Path.of(link));
                skip(size);
            }
            default -> {
                warnings.add(name + ": skipped (" + (type == '1' ? "a hard link" : "entry type " + type) + ")");
                skip(size);
            }
        }
    }

    /** Where {@code name} lands under the root (null for the root itself); refuses anything that would leave it. */
    private Path target(String name) throws IOException {
        if (name.indexOf('\0') >= 0 || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IOException("refusing a tar entry with a NUL or an overlong name");
        }
        if (name.startsWith("/")) {
            throw new IOException("refusing the absolute tar entry " + printable(name));
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new IOException("refusing the tar entry " + printable(name) + ": it climbs out with ..");
            }
            parts.add(part);
        }
        if (parts.isEmpty()) {
            return null;
        }
        Path p = root;
        for (String part : parts) {
            p = p.resolve(part);
        }
        if (!p.normalize().startsWith(root)) {
            throw new IOException("refusing the tar entry " + printable(name) + ": it lands outside the destination");
        }
        return p;
    }

    /** Makes every parent of {@code target} below the root a real directory; a symlink on the way is refused. */
    private void parents(Path target) throws IOException {
        Path rel = root.relativize(target.getParent());
        Path p = root;
        for (Path part : rel) {
            if (part.toString().isEmpty()) {
                continue;
            }
            p = p.resolve(part);
            directory(p);
        }
    }

    private void directory(Path p) throws IOException {
        if (Files.isSymbolicLink(p)) {
            throw new IOException("refusing to write through the symlink " + printable(root.relativize(p).toString()));
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.deleteIfExists(p);
        try {
            Files.createDirectory(p);
        } catch (FileAlreadyExistsException raced) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw raced;
            }
        }
    }

    /** An existing file or symlink at {@code target} goes (the link itself, never what it points to); a directory stays and fails the write. */
    private static void replaceNonDirectory(Path target) throws IOException {
        if (Files.isSymbolicLink(target) || Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(target);
        }
    }

    private static void permissions(Path p, int mode) throws IOException {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < 9; bit++) {
            if ((mode & (1 << bit)) != 0) {
                perms.add(order[bit]);
            }
        }
        try {
            Files.setPosixFilePermissions(p, perms);
        } catch (UnsupportedOperationException notPosix) {
            // a filesystem without POSIX modes keeps its defaults
        }
    }

    // ---- reading the stream ----

    private boolean readBlock(boolean atEntry) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0 && atEntry) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("the tar stream ended in the middle of a block (the transfer was cut)");
        }
        return true;
    }

    private void copy(long size, OutputStream out) throws IOException {
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("the tar stream ended inside a file (the transfer was cut)");
            }
            out.write(buf, 0, n);
            left -= n;
            bytes += n;
            progress.accept(bytes);
        }
    }

    private void skip(long size) throws IOException {
        copy(size, OutputStream.nullOutputStream());
        pad(size);
    }

    private void pad(long size) throws IOException {
        int pad = (int) ((BLOCK - size % BLOCK) % BLOCK);
        if (pad > 0 && in.readNBytes(pad).length != pad) {
            throw new EOFException("the tar stream ended in its padding (the transfer was cut)");
        }
    }

    private byte[] readData(int size) throws IOException {
        byte[] data = in.readNBytes(size);
        if (data.length != size) {
            throw new EOFException("the tar stream ended inside a pax header");
        }
        pad(size);
        return data;
    }

    private static List<String[]> paxRecords(byte[] data) throws IOException {
        List<String[]> out = new ArrayList<>();
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException("a malformed pax record");
            }
            if (len <= sp - i + 1 || i + len > data.length || data[i + len - 1] != '\n') {
                throw new IOException("a malformed pax record");
            }
            String rec = new String(data, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            if (eq <= 0) {
                throw new IOException("a malformed pax record");
            }
            out.add(new String[] {rec.substring(0, eq), rec.substring(eq + 1)});
            i += len;
        }
        return out;
    }

    private static long parseSize(String v) throws IOException {
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IOException("a pax size that is not a byte count");
        }
    }

    private void checkChecksum() throws IOException {
        long stored = octal(148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (block[i] & 0xff);
        }
        if (sum != stored) {
            throw new IOException("a tar header with a bad checksum (not a tar stream, or a corrupted one)");
        }
    }

    private boolean magicUstar() {
        return block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a' && block[261] == 'r';
    }

    private String text(int off, int len) {
        int end = off;
        while (end < off + len && block[end] != 0) {
            end++;
        }
        return new String(block, off, end - off, StandardCharsets.UTF_8);
    }

    private long octal(int off, int len) throws IOException {
        if ((block[off] & 0x80) != 0) {
            throw new IOException("a tar header with a base-256 number (not written by Burrow)");
        }
        int i = off;
        int end = off + len;
        while (i < end && block[i] == ' ') {
            i++;
        }
        long v = 0;
        for (; i < end && block[i] != 0 && block[i] != ' '; i++) {
            if (block[i] < '0' || block[i] > '7' || v > (1L << 58)) {
                throw new IOException("a tar header with a malformed number");
            }
            v = v * 8 + (block[i] - '0');
        }
        return v;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        return "'" + cut.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
