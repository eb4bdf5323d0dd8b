package dev.burrow.vmm.qemu.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads what the engine needs from a qcow2 header without starting qemu-img: the virtual size
 * and the backing file (so a chain can be walked in microseconds, e.g. to know which saved
 * states a disk still reads from). Headers are the engine's own files; the bounds below only
 * keep a damaged one from sending the walk anywhere.
 */
public final class QcowImages {

    /** The most backing files a chain may have before the engine calls it damaged. */
    public static final int MAX_CHAIN = 64;
    private static final int MAGIC = 0x514649fb; // "QFI\xfb"
    private static final int HEADER_BYTES = 32;
    private static final int MAX_BACKING_NAME = 1023; // QEMU's own limit

    private QcowImages() {}

    /** One qcow2 header: its virtual size and backing file (resolved against the image's directory), if any. */
    public record Header(long virtualSize, Optional<Path> backing) {}

    public static boolean isQcow2(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            return ch.read(b, 0) == 4 && b.getInt(0) == MAGIC;
        }
    }

    public static Header header(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
            readFully(ch, h, 0, image);
            if (h.getInt(0) != MAGIC) {
                throw new IOException(image + " is not a qcow2 image");
            }
            long offset = h.getLong(8);
            int length = h.getInt(16);
            long size = h.getLong(24);
            if (offset == 0) {
                return new Header(size, Optional.empty());
            }
            if (length <= 0 || length > MAX_BACKING_NAME || offset < HEADER_BYTES || offset > ch.size() - length) {
                throw new IOException(image + " has a damaged backing file name (" + length + " bytes at " + offset + ")");
            }
            ByteBuffer name = ByteBuffer.allocate(length);
            readFully(ch, name, offset, image);
            Path backing = image.toAbsolutePath().getParent().resolve(new String(name.array(), StandardCharsets.UTF_8)).normalize();
            return new Header(size, Optional.of(backing));
        }
    }

    /** The backing files under {@code image}, nearest first, down to the first file that is not qcow2 (a raw root). */
    public static List<Path> chain(Path image) throws IOException {
        List<Path> out = new ArrayList<>();
        Path at = image;
        while (true) {
            Optional<Path> next = header(at).backing();
            if (next.isEmpty()) {
                return out;
            }
            out.add(next.get());
            if (out.size() > MAX_CHAIN) {
                throw new IOException(image + " has a backing chain longer than " + MAX_CHAIN);
            }
            if (!isQcow2(next.get())) {
                return out;
            }
            at = next.get();
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path image) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException(image + " ends inside its qcow2 header");
            }
            pos += n;
        }
    }
}
