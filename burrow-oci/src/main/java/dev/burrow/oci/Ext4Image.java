package dev.burrow.oci;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds an ext4 disk image from a staging tree with {@code mkfs.ext4 -d} (e2fsprogs ≥ 1.43).
 * The file is sparse; ownership, modes, symlinks, hard links and xattrs come from the tree.
 */
public final class Ext4Image {
    public static final String LABEL = "burrow-root";
    private static final Duration TIMEOUT = Duration.ofMinutes(20);
    private static final Pattern FIELD = Pattern.compile("^([A-Za-z ]+):\\s+(\\d+)\\s*$", Pattern.MULTILINE);

    /** The disk that was built. */
    public record Result(Path disk, long sizeBytes, long usedBytes, Duration took) {
    }

    private Ext4Image() {
    }

    public static Result build(Path stagingRoot, Path diskFile, long sizeMiB) throws IOException {
        if (sizeMiB < 8) {
            throw new IllegalArgumentException("sizeMiB < 8: " + sizeMiB);
        }
        if (!Files.isDirectory(stagingRoot)) {
            throw new ImageException("staging root " + stagingRoot + " is not a directory");
        }
        long start = System.nanoTime();
        Files.deleteIfExists(diskFile);
        try (RandomAccessFile f = new RandomAccessFile(diskFile.toFile(), "rw")) {
            f.setLength(sizeMiB * 1024 * 1024); // sparse
        }
        Output mkfs = run(List.of(tool("mkfs.ext4"), "-q", "-F", "-d", stagingRoot.toString(), "-E", "root_owner=0:0",
                "-L", LABEL, diskFile.toString(), sizeMiB + "M"));
        if (mkfs.exit != 0) {
            Files.deleteIfExists(diskFile);
            String text = mkfs.text.strip();
            if (text.contains("Could not allocate") || text.contains("No space") || text.contains("Could not allocate inode")) {
                throw new ImageException("the root file system does not fit in " + sizeMiB + " MiB: " + lastLines(text));
            }
            throw new ImageException("mkfs.ext4 failed (exit " + mkfs.exit + "): " + lastLines(text));
        }
        long used = usedBytes(diskFile);
        return new Result(diskFile, sizeMiB * 1024 * 1024, used, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Bytes in use on an ext4 image (block count minus free blocks), from {@code dumpe2fs -h}. */
    public static long usedBytes(Path disk) throws IOException {
        Output out = run(List.of(tool("dumpe2fs"), "-h", disk.toString()));
        if (out.exit != 0) {
            throw new ImageException("dumpe2fs failed on " + disk + ": " + lastLines(out.text));
        }
        long blocks = -1;
        long free = -1;
        long blockSize = -1;
        Matcher m = FIELD.matcher(out.text);
        while (m.find()) {
            switch (m.group(1).strip()) {
                case "Block count" -> blocks = Long.parseLong(m.group(2));
                case "Free blocks" -> free = Long.parseLong(m.group(2));
                case "Block size" -> blockSize = Long.parseLong(m.group(2));
                default -> {
                }
            }
        }
        if (blocks < 0 || free < 0 || blockSize < 0) {
            throw new ImageException("could not read block counts from dumpe2fs for " + disk);
        }
        return (blocks - free) * blockSize;
    }

    private static String tool(String name) {
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return name;
    }

    private record Output(int exit, String text) {
    }

    private static Output run(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ImageException("cannot run " + command.getFirst() + " (is e2fsprogs installed?): " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ImageException(command.getFirst() + " did not finish within " + TIMEOUT);
            }
            return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.getFirst(), e);
        }
    }

    private static String lastLines(String text) {
        String[] lines = text.strip().split("\n");
        int from = Math.max(0, lines.length - 5);
        return String.join(" | ", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }
}
