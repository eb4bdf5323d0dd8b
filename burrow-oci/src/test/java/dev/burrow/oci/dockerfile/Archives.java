package dev.burrow.oci.dockerfile;

import dev.burrow.oci.TarEntrySpec;
import dev.burrow.oci.internal.TarWriting;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/** Writes test archives: tars from {@link TarEntrySpec}s (hostile names allowed), gzip, zips. */
final class Archives {
    static final Instant MTIME = Instant.parse("2024-05-01T12:00:00Z");

    private Archives() {
    }

    static byte[] tar(TarEntrySpec... entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriting.write(List.of(entries), out, MTIME);
        return out.toByteArray();
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        return file;
    }

    /** A zip entry: name, content (null for a directory), unix mode, or a symlink when {@code link}. */
    record Z(String name, byte[] content, int mode, boolean link) {
        static Z file(String name, String content) {
            return new Z(name, content.getBytes(StandardCharsets.UTF_8), 0100644, false);
        }

        static Z symlink(String name, String target) {
            return new Z(name, target.getBytes(StandardCharsets.UTF_8), 0120777, true);
        }
    }

    static void zip(OutputStream target, Z... entries) throws IOException {
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(target)) {
            for (Z z : entries) {
                ZipArchiveEntry e = new ZipArchiveEntry(z.name());
                e.setUnixMode(z.mode());
                zip.putArchiveEntry(e);
                if (z.content() != null) {
                    zip.write(z.content());
                }
                zip.closeArchiveEntry();
            }
        }
    }
}
