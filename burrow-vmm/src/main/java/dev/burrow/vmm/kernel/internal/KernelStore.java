package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.GuestKernel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The layout of {@code <cache>/kernels/}: one directory {@code <package>_<version>} per extracted kernel, holding
 * the package's files and a marker written last; {@code .tmp-*} work directories; and {@code .lock}.
 */
public final class KernelStore {
    public static final String MARKER = ".burrow-kernel";
    private static final String TEMP_PREFIX = ".tmp-";
    private static final Logger log = LoggerFactory.getLogger(KernelStore.class);

    private final Path root;

    public KernelStore(Path cacheDir) {
        this.root = cacheDir.resolve("kernels");
    }

    public Path root() {
        return root;
    }

    public Path lockFile() {
        return root.resolve(".lock");
    }

    /** The directory for a package version; {@code :} (epochs) and {@code /} are escaped. */
    public Path entry(String packageName, String version) {
        return root.resolve(packageName + "_" + version.replace("%", "%25").replace(":", "%3a").replace("/", "%2f"));
    }

    /** A fresh work directory inside the store, so the final rename stays on one file system. */
    public Path newTempDir() throws IOException {
        Files.createDirectories(root);
        return Files.createTempDirectory(root, TEMP_PREFIX);
    }

    /** Writes the marker into {@code dir}, an extracted kernel about to be renamed into place. */
    public static void writeMarker(Path dir, GuestKernel relative) throws IOException {
        Properties p = new Properties();
        p.setProperty("package", relative.packageName());
        p.setProperty("version", relative.packageVersion());
        p.setProperty("release", relative.release());
        p.setProperty("vmlinuz", relative.vmlinuz().toString());
        p.setProperty("modules", relative.modulesDir().toString());
        try (Writer w = Files.newBufferedWriter(dir.resolve(MARKER), StandardCharsets.UTF_8)) {
            p.store(w, "complete Burrow guest kernel");
        }
    }

    /** The newest complete kernel of {@code packageName}, or of any package when it is null. */
    public Optional<GuestKernel> newest(String packageName) {
        record Found(GuestKernel kernel, FileTime completed) {
        }
        List<Found> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.filter(d -> !d.getFileName().toString().startsWith(".")).toList()) {
                read(dir).filter(k -> packageName == null || k.packageName().equals(packageName))
                        .ifPresent(k -> found.add(new Found(k, markerTime(dir))));
            }
        } catch (IOException e) {
            log.warn("cannot list the kernel cache {}: {}", root, e.toString());
        }
        return found.stream().max(Comparator.comparing(Found::completed)).map(Found::kernel);
    }

    private static FileTime markerTime(Path dir) {
        try {
            return Files.getLastModifiedTime(dir.resolve(MARKER));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /** The kernel in {@code dir} if its marker is present and its files exist. */
    public static Optional<GuestKernel> read(Path dir) {
        Path marker = dir.resolve(MARKER);
        if (!Files.isRegularFile(marker)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(marker, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            log.warn("unreadable kernel marker {}: {}", marker, e.toString());
            return Optional.empty();
        }
        String pkg = p.getProperty("package");
        String version = p.getProperty("version");
        String release = p.getProperty("release");
        String vmlinuz = p.getProperty("vmlinuz");
        String modules = p.getProperty("modules");
        if (pkg == null || version == null || release == null || vmlinuz == null || modules == null) {
            return Optional.empty();
        }
        GuestKernel k = new GuestKernel(dir.resolve(vmlinuz), dir.resolve(modules), release, pkg, version);
        if (!Files.isRegularFile(k.vmlinuz()) || !Files.isRegularFile(k.modulesDir().resolve("modules.dep"))) {
            log.warn("kernel cache entry {} is damaged (missing files); ignoring it", dir);
            return Optional.empty();
        }
        return Optional.of(k);
    }

    /** Removes work directories left by a crashed fetch. Call only while holding the store's lock. */
    public void removeStaleTempDirs() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith(TEMP_PREFIX)).toList()) {
                log.info("removing leftover kernel work directory {}", d);
                deleteTree(d);
            }
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        dev.burrow.vmm.internal.FileTrees.delete(dir);
    }
}
