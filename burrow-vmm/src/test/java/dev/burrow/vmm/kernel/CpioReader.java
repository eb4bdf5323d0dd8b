package dev.burrow.vmm.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** An independent newc parser for tests; checks magic, alignment and the trailer while reading. */
final class CpioReader {
    record Entry(long inode, int mode, int uid, int gid, int nlink, long mtime, int rdevMajor, int rdevMinor,
                 String name, byte[] data) {
        int type() {
            return mode & 0170000;
        }

        int permissions() {
            return mode & 07777;
        }

        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private CpioReader() {
    }

    static List<Entry> readGzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return read(in.readAllBytes());
        }
    }

    /** Parses every entry up to and including the trailer (which is not returned); fails on malformed input. */
    static List<Entry> read(byte[] archive) {
        List<Entry> entries = new ArrayList<>();
        int pos = 0;
        while (true) {
            assertThat(pos % 4).as("header alignment").isZero();
            String header = new String(archive, pos, 110, StandardCharsets.US_ASCII);
            assertThat(header).startsWith("070701");
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) {
                f[i] = Long.parseLong(header.substring(6 + 8 * i, 14 + 8 * i), 16);
            }
            int nameSize = (int) f[11];
            String name = new String(archive, pos + 110, nameSize - 1, StandardCharsets.UTF_8);
            assertThat(archive[pos + 110 + nameSize - 1]).as("name NUL").isZero();
            int dataStart = align(pos + 110 + nameSize);
            assertPadding(archive, pos + 110 + nameSize, dataStart);
            int size = (int) f[6];
            byte[] data = Arrays.copyOfRange(archive, dataStart, dataStart + size);
            int next = align(dataStart + size);
            assertPadding(archive, dataStart + size, next);
            if (name.equals("TRAILER!!!")) {
                assertThat(size).isZero();
                assertThat(next).as("nothing after the trailer").isEqualTo(archive.length);
                return entries;
            }
            entries.add(new Entry(f[0], (int) f[1], (int) f[2], (int) f[3], (int) f[4], f[5], (int) f[9],
                    (int) f[10], name, data));
            pos = next;
        }
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }

    private static void assertPadding(byte[] archive, int from, int to) {
        for (int i = from; i < to; i++) {
            assertThat(archive[i]).as("padding byte at %d", i).isZero();
        }
    }

    static Entry find(List<Entry> entries, String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no entry " + name + " in " + entries.stream().map(Entry::name).toList()));
    }
}
