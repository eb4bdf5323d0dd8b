package dev.burrow.daemon.logs;

import dev.burrow.vmm.ConsoleRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a console ring the way burrow-jailer does (guest/jailer/jailer.c): append to the newer
 * half until it holds {@code half} bytes, then rename it over the older half and start a new one.
 */
public final class JailerRing {

    private final Path dir;
    private final long half;

    public JailerRing(Path dir, long half) {
        this.dir = dir;
        this.half = half;
    }

    public ConsoleRing ring() {
        return new ConsoleRing(dir.resolve("console.log"), dir.resolve("console.log.1"));
    }

    public synchronized void write(byte[] bytes) {
        try {
            Files.createDirectories(dir);
            int off = 0;
            while (off < bytes.length) {
                long size = Files.exists(ring().newer()) ? Files.size(ring().newer()) : 0;
                if (size >= half) {
                    rotate();
                    continue;
                }
                int k = (int) Math.min(bytes.length - off, half - size);
                try (var out = Files.newOutputStream(ring().newer(), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    out.write(bytes, off, k);
                }
                off += k;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void rotate() throws IOException {
        Files.move(ring().newer(), ring().older(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.createFile(ring().newer());
    }

    /** What a suspend then a resume do to the ring: the same files linked into {@code to}, the old names removed. */
    public synchronized JailerRing moveTo(Path to) throws IOException {
        Files.createDirectories(to);
        for (Path f : new Path[] {ring().newer(), ring().older()}) {
            if (Files.exists(f)) {
                Files.createLink(to.resolve(f.getFileName()), f);
                Files.delete(f);
            }
        }
        return new JailerRing(to, half);
    }

    public long bytesOnDisk() throws IOException {
        long n = 0;
        for (Path f : new Path[] {ring().newer(), ring().older()}) {
            n += Files.exists(f) ? Files.size(f) : 0;
        }
        return n;
    }
}
