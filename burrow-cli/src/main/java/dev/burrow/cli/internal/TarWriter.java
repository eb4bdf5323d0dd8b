package dev.burrow.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a directory tree as a POSIX tar stream (ustar headers, a PAX header for names that do
 * not fit), entries in sorted order so the same tree gives the same bytes.
 */
public final class TarWriter {
    private static final int BLOCK = 512;
    private final OutputStream out;

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes every file, directory and symlink under {@code root}, named relative to it, then the end marker. */
    public static void writeTree(Path root, OutputStream out) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.filter(p -> !p.equals(root)).sorted().toList();
        }
        TarWriter tar = new TarWriter(out);
        tar.entries(root, paths);
        tar.finish();
    }

    /**
     * Writes the given paths below {@code root} (sorted by the caller, parents first), named
     * relative to it: files, directories and symlinks (never followed); other kinds are skipped.
     * No end marker: more entries may follow, then {@link #finish()}.
     */
    public void entries(Path root, List<Path> paths) throws IOException {
        TarWriter tar = this;
        for (Path p : paths) {
            String name = root.relativize(p).toString().replace('\\', '/');
            PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int mode = mode(attrs.permissions());
            long mtime = attrs.lastModifiedTime().toMillis() / 1000;
            if (attrs.isSymbolicLink()) {
                tar.entry(name, '2', mode, 0, mtime, Files.readSymbolicLink(p).toString(), null);
            } else if (attrs.isDirectory()) {
                tar.entry(name + "/", '5', mode, 0, mtime, "", null);
            } else if (attrs.isRegularFile()) {
                try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                    tar.entry(name, '0', mode, attrs.size(), mtime, "", in);
                }
            }
        }
    }

    private static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= switch (p) {
                case OWNER_READ -> 0400;
                case OWNER_WRITE -> 0200;
                case OWNER_EXECUTE -> 0100;
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case GROUP_EXECUTE -> 010;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                case OTHERS_EXECUTE -> 01;
            };
        }
        return m;
    }

    /** One entry; {@code data} supplies exactly {@code size} bytes for a regular file. */
    public void entry(String name, char type, int mode, long size, long mtime, String linkName, InputStream data) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = linkName.getBytes(StandardCharsets.UTF_8);
        String ustarName = name, prefix = "";
        boolean bigSize = size > 077777777777L;
        boolean pax = linkBytes.length > 100 || bigSize;
        if (nameBytes.length > 100) {
            int split = splitPoint(name);
            if (split < 0) {
                pax = true;
                ustarName = truncate(name, 100);
            } else {
                prefix = name.substring(0, split);
                ustarName = name.substring(split + 1);
            }
        }
        if (pax) {
            StringBuilder records = new StringBuilder();
            records.append(paxRecord("path", name));
            if (bigSize) records.append(paxRecord("size", Long.toString(size)));
            if (linkBytes.length > 100) records.append(paxRecord("linkpath", linkName));
            byte[] paxData = records.toString().getBytes(StandardCharsets.UTF_8);
            writeHeader(truncate("PaxHeaders/" + name, 100), "", 'x', 0644, paxData.length, mtime, "");
            out.write(paxData);
            pad(paxData.length);
            if (nameBytes.length > 100) {
                prefix = "";
                ustarName = truncate(name, 100);
            }
        }
        writeHeader(ustarName, prefix, type, mode, bigSize ? 0 : size, mtime, truncate(linkName, 100));
        if (data != null) {
            long copied = data.transferTo(out);
            if (copied != size) throw new IOException("file changed while being archived: " + name);
            pad(size);
        }
    }

    public void finish() throws IOException {
        out.write(new byte[BLOCK * 2]);
        out.flush();
    }

    private static int splitPoint(String name) {
        // ustar: prefix ≤ 155 bytes, name ≤ 100 bytes, split at a '/'
        for (int i = name.length() - 1; i > 0; i--) {
            if (name.charAt(i) != '/') continue;
            int prefixLen = name.substring(0, i).getBytes(StandardCharsets.UTF_8).length;
            int nameLen = name.substring(i + 1).getBytes(StandardCharsets.UTF_8).length;
            if (prefixLen <= 155 && nameLen <= 100 && nameLen > 0) return i;
        }
        return -1;
    }

    private static String truncate(String s, int maxBytes) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= maxBytes) return s;
        return new String(b, 0, maxBytes, StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7e]", "_");
    }

    private static String paxRecord(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.getBytes(StandardCharsets.UTF_8).length;
        int total = len + String.valueOf(len).length();
        if (String.valueOf(total).length() != String.valueOf(len).length()) total++;
        return total + body;
    }

    private void writeHeader(String name, String prefix, char type, int mode, long size, long mtime, String link) throws IOException {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, name);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        for (int i = 148; i < 156; i++) h[i] = ' ';
        h[156] = (byte) type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar");
        h[262] = 0;
        h[263] = '0';
        h[264] = '0';
        put(h, 265, 32, "root");
        put(h, 297, 32, "root");
        put(h, 345, 155, prefix);
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        String chk = String.format("%06o", sum);
        put(h, 148, 6, chk);
        h[154] = 0;
        h[155] = ' ';
        out.write(h);
    }

    private static void put(byte[] h, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        if (s.length() > len - 1) throw new IllegalArgumentException("value too large for a tar header: " + v);
        s = "0".repeat(len - 1 - s.length()) + s;
        put(h, off, len - 1, s);
        h[off + len - 1] = 0;
    }

    private void pad(long size) throws IOException {
        int rem = (int) (size % BLOCK);
        if (rem != 0) out.write(new byte[BLOCK - rem]);
    }
}
