package dev.burrow.vmm.jail.internal;

import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Small reads and writes of cgroup files; a cgroup file takes one value per write. */
public final class CgroupFiles {

    /** The most a value file is read (cgroup.procs of a busy cgroup is the largest Burrow reads). */
    static final int MAX_READ_BYTES = 1 << 20;

    private CgroupFiles() {}

    /**
     * Writes {@code value} with one write(2). On cgroupfs a file that does not exist cannot be
     * created (a controller missing there fails here); a plain directory standing in for it (tests)
     * gets the file.
     */
    public static void write(Path file, String value) throws VmmException {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.CREATE);
        } catch (IOException e) {
            throw new VmmException("cannot write " + value + " into " + file + ": " + e.getMessage(), e);
        }
    }

    public static void mkdir(Path dir) throws VmmException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VmmException("cannot create the cgroup " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The file's text, or empty when it does not exist or cannot be read. */
    public static Optional<String> read(Path file) {
        try {
            byte[] b = Files.readAllBytes(file);
            return Optional.of(new String(b, 0, Math.min(b.length, MAX_READ_BYTES), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A single number; "max" (no limit) reads as empty, as does a missing file. */
    public static Optional<Long> readLong(Path file) {
        return read(file).map(String::trim).filter(s -> s.matches("-?[0-9]+")).map(Long::parseLong);
    }

    /** The value of {@code key} in a flat-keyed file ("key value" lines, like memory.events or cpu.stat). */
    public static Optional<Long> readKey(Path file, String key) {
        return read(file).flatMap(s -> s.lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length == 2 && f[0].equals(key) && f[1].matches("[0-9]+"))
                .map(f -> Long.parseLong(f[1])).findFirst());
    }

    /** The space- or line-separated words of a file (cgroup.controllers, cgroup.subtree_control). */
    public static Set<String> words(Path file) {
        Set<String> out = new LinkedHashSet<>();
        read(file).ifPresent(s -> {
            for (String w : s.trim().split("\\s+")) {
                if (!w.isEmpty()) {
                    out.add(w);
                }
            }
        });
        return out;
    }

    /** The pids listed in a cgroup.procs file. */
    public static List<Long> pids(Path procs) {
        List<Long> out = new ArrayList<>();
        for (String w : words(procs)) {
            if (w.matches("[0-9]+")) {
                out.add(Long.parseLong(w));
            }
        }
        return out;
    }

    /**
     * Removes a cgroup (rmdir(2): its files are the kernel's and go with it). A cgroup that still
     * holds a process fails ("busy"). A plain directory standing in for cgroupfs (tests) has real
     * files: those go first.
     */
    public static void rmdir(Path dir) throws IOException {
        try {
            Files.delete(dir);
        } catch (NoSuchFileException gone) {
            // already removed
        } catch (DirectoryNotEmptyException e) {
            if (Files.getFileStore(dir).type().startsWith("cgroup")) {
                throw e;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    if (Files.isDirectory(f)) {
                        throw e; // a child cgroup: never removed as a side effect
                    }
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }
}
