package dev.burrow.vmm.kernel.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the {@code newc} format the kernel unpacks as an initramfs: a 110-byte ASCII header
 * per entry ({@code 070701} and thirteen 8-digit hex fields), the NUL-terminated name, the data, each padded to
 * 4 bytes, and a closing {@code TRAILER!!!} entry. Owners are root, mtimes 0 and inode numbers sequential, so the
 * same entries always give the same bytes. Parents must be written before their children.
 */
public final class CpioWriter implements Closeable {
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFCHR = 0020000;
    public static final String TRAILER = "TRAILER!!!";

    private final OutputStream out;
    private long written;
    private int nextInode = 1;
    private boolean closed;

    public CpioWriter(OutputStream out) {
        this.out = out;
    }

    public void directory(String name, int permissions) throws IOException {
        entry(name, S_IFDIR | permissions, 2, 0, 0, new byte[0]);
    }

    public void file(String name, int permissions, byte[] data) throws IOException {
        entry(name, S_IFREG | permissions, 1, 0, 0, data);
    }

    public void charDevice(String name, int permissions, int major, int minor) throws IOException {
        entry(name, S_IFCHR | permissions, 1, major, minor, new byte[0]);
    }

    private void entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data)
            throws IOException {
        if (closed) {
            throw new IllegalStateException("archive already closed");
        }
        if (name.isEmpty() || name.startsWith("/") || name.equals(TRAILER) || name.contains("\0")) {
            throw new IllegalArgumentException("bad cpio entry name: '" + name + "'");
        }
        writeEntry(nextInode++, name, mode, nlink, rdevMajor, rdevMinor, data);
    }

    private void writeEntry(int inode, String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data)
            throws IOException {
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(110).append("070701");
        long[] fields = {inode, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBytes.length, 0};
        for (long f : fields) {
            h.append(String.format("%08x", f));
        }
        write(h.toString().getBytes(StandardCharsets.US_ASCII));
        write(nameBytes);
        pad();
        write(data);
        pad();
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        written += bytes.length;
    }

    private void pad() throws IOException {
        int padding = (int) ((4 - written % 4) % 4);
        write(new byte[padding]);
    }

    /** Writes the trailer and closes the underlying stream. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        writeEntry(0, TRAILER, 0, 1, 0, 0, new byte[0]);
        closed = true;
        out.close();
    }
}
