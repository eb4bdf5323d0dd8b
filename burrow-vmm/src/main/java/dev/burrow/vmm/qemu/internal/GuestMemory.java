package dev.burrow.vmm.qemu.internal;

import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The pages a privately mapped guest has dirtied, found through /proc/PID/pagemap while the VMM
 * is stopped: a page that is present (or swapped) and not file-backed is a private copy, i.e.
 * written since the restore. Saving copies exactly those pages into a sparse delta file (with a
 * run index); loading writes them back through /proc/PID/mem into a fresh private mapping of the
 * same template file, which copies-on-write them just as the guest did. Cost: O(dirtied pages)
 * plus an 8-byte-per-page scan of the pagemap (docs/adr/0002-memory-model.md).
 */
public final class GuestMemory {

    public static final int PAGE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long SWAPPED = 1L << 62;
    private static final long FILE_OR_SHARED = 1L << 61;
    private static final int SCAN_BATCH = 65536; // pagemap entries per read (512 KiB)

    private GuestMemory() {}

    /** The guest-RAM mapping of a VMM: its start address and the file it maps. */
    private record RamMapping(long start, Path file) {}

    /** The file behind the guest-RAM mapping of {@code sizeBytes}, as the VMM mapped it; empty when there is none. */
    public static Optional<Path> ramFile(long pid, long sizeBytes) throws VmmException {
        return ramMapping(pid, sizeBytes).map(RamMapping::file);
    }

    /** Start address of the guest-RAM mapping: the file mapping of exactly {@code sizeBytes} backed by a "memory" file. */
    public static long ramBase(long pid, long sizeBytes) throws VmmException {
        return ramMapping(pid, sizeBytes).map(RamMapping::start).orElseThrow(() ->
                new VmmException("VMM " + pid + " has no guest-RAM mapping of " + sizeBytes + " bytes"));
    }

    /** The mapping in /proc/PID/maps of exactly {@code sizeBytes} backed by a file named "memory". */
    private static Optional<RamMapping> ramMapping(long pid, long sizeBytes) throws VmmException {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))) {
                String[] f = line.trim().split("\\s+", 6);
                if (f.length < 6 || !f[5].endsWith("/memory")) {
                    continue;
                }
                String[] range = f[0].split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long end = Long.parseUnsignedLong(range[1], 16);
                if (end - start == sizeBytes) {
                    return Optional.of(new RamMapping(start, Path.of(f[5])));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new VmmException("cannot read the memory map of VMM " + pid + ": " + e.getMessage(), e);
        }
    }

    /** Copies every dirtied page into {@code delta} (sparse, at its guest offset) and writes the run index; returns the page count. */
    public static long saveDirty(long pid, long base, long sizeBytes, Path delta, Path index) throws VmmException {
        long pages = sizeBytes / PAGE;
        Path proc = Path.of("/proc", Long.toString(pid));
        try (FileChannel pagemap = FileChannel.open(proc.resolve("pagemap"), StandardOpenOption.READ);
             FileChannel mem = FileChannel.open(proc.resolve("mem"), StandardOpenOption.READ);
             FileChannel out = FileChannel.open(delta, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
             FileChannel idx = FileChannel.open(index, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer entries = ByteBuffer.allocateDirect(SCAN_BATCH * 8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer runIndex = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer copy = ByteBuffer.allocateDirect(256 * PAGE);
            long dirty = 0;
            long runStart = -1;
            for (long first = 0; first < pages; first += SCAN_BATCH) {
                int n = (int) Math.min(SCAN_BATCH, pages - first);
                entries.clear().limit(n * 8);
                readFully(pagemap, entries, (base / PAGE + first) * 8);
                entries.flip();
                for (int i = 0; i < n; i++) {
                    long e = entries.getLong();
                    boolean isDirty = (e & (PRESENT | SWAPPED)) != 0 && (e & FILE_OR_SHARED) == 0;
                    long page = first + i;
                    if (isDirty && runStart < 0) {
                        runStart = page;
                    } else if (!isDirty && runStart >= 0) {
                        dirty += copyRun(mem, out, idx, runIndex, copy, base, runStart, page - runStart);
                        runStart = -1;
                    }
                }
            }
            if (runStart >= 0) {
                dirty += copyRun(mem, out, idx, runIndex, copy, base, runStart, pages - runStart);
            }
            out.force(true);
            idx.force(true);
            return dirty;
        } catch (IOException e) {
            throw new VmmException("saving the dirtied memory of VMM " + pid + " failed: " + e.getMessage(), e);
        }
    }

    private static long copyRun(FileChannel mem, FileChannel out, FileChannel idx, ByteBuffer runIndex, ByteBuffer copy,
                                long base, long startPage, long count) throws IOException {
        runIndex.clear();
        runIndex.putInt((int) startPage).putInt((int) count).flip();
        while (runIndex.hasRemaining()) {
            idx.write(runIndex);
        }
        long done = 0;
        while (done < count) {
            int chunk = (int) Math.min(copy.capacity() / PAGE, count - done);
            long offset = (startPage + done) * PAGE;
            copy.clear().limit(chunk * PAGE);
            readFully(mem, copy, base + offset);
            copy.flip();
            while (copy.hasRemaining()) {
                out.write(copy, offset + copy.position());
            }
            done += chunk;
        }
        return count;
    }

    /** How many pages a run index lists (u32 start page, u32 page count, little-endian, per run). */
    public static long pageCount(Path index) throws IOException {
        ByteBuffer runs = ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN);
        long pages = 0;
        while (runs.remaining() >= 8) {
            runs.getInt();
            pages += runs.getInt() & 0xFFFFFFFFL;
        }
        return pages;
    }

    /** Writes the saved pages into a VMM's guest RAM (before its guest runs); returns the page count. */
    public static long loadDirty(long pid, long base, Path delta, Path index) throws VmmException {
        try (FileChannel in = FileChannel.open(delta, StandardOpenOption.READ);
             FileChannel mem = FileChannel.open(Path.of("/proc", Long.toString(pid), "mem"), StandardOpenOption.WRITE)) {
            ByteBuffer runs = ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer copy = ByteBuffer.allocateDirect(256 * PAGE);
            long loaded = 0;
            while (runs.remaining() >= 8) {
                long start = runs.getInt() & 0xFFFFFFFFL;
                long count = runs.getInt() & 0xFFFFFFFFL;
                for (long done = 0; done < count; ) {
                    int chunk = (int) Math.min(copy.capacity() / PAGE, count - done);
                    long offset = (start + done) * PAGE;
                    copy.clear().limit(chunk * PAGE);
                    readFully(in, copy, offset);
                    copy.flip();
                    while (copy.hasRemaining()) {
                        mem.write(copy, base + offset + copy.position());
                    }
                    done += chunk;
                }
                loaded += count;
            }
            return loaded;
        } catch (IOException e) {
            throw new VmmException("loading saved memory into VMM " + pid + " failed: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of " + ch + " at " + pos);
            }
            pos += n;
        }
    }

}
