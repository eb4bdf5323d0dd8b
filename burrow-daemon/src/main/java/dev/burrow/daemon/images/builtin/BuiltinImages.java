package dev.burrow.daemon.images.builtin;

import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.TarEntrySpec;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Burrow's own images, written as OCI image layouts by Burrow's code: offline, except that the
 * Debian image downloads packages from a Debian mirror.
 *
 * <ul>
 *   <li>{@link #busybox(Path)}: a minimal root of the host's static busybox (Debian's
 *       {@code busybox-static}), one applet symlink per command, a {@code burrow} user (uid
 *       1000). Deterministic: the same busybox gives the same bytes.
 *   <li>{@link #debianPython(Path, Path)}: the public demo image, Debian minbase plus python3
 *       (debootstrap of the host's release from the host's mirror) serving
 *       {@code python3 -m http.server 8080}; cached, since debootstrap takes tens of seconds.
 * </ul>
 */
public final class BuiltinImages {
    private static final Logger log = LoggerFactory.getLogger(BuiltinImages.class);

    /** Where Debian's {@code busybox-static} installs its binary. */
    public static final Path HOST_BUSYBOX = Path.of("/bin/busybox");
    /** The {@code PATH} of both images. */
    public static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** The images' {@code /etc/hostname}. */
    public static final String HOSTNAME = "burrow";
    /** The unprivileged user both images have, with home {@code /home/burrow}. */
    public static final String USER = "burrow";
    public static final int USER_ID = 1000;
    /** The version of the debian-python recipe; part of its cache key. */
    public static final int DEBIAN_PYTHON_RECIPE_VERSION = DebianPythonImage.RECIPE_VERSION;

    private BuiltinImages() {
    }

    /**
     * Writes the busybox image as an OCI layout at {@code outDir} (created; it must not exist or
     * be empty) from {@link #HOST_BUSYBOX}, and returns {@code outDir}.
     *
     * @throws java.nio.file.NoSuchFileException when the host has no busybox (the message names
     *     the apt package {@code busybox-static})
     */
    public static Path busybox(Path outDir) throws IOException {
        return busybox(outDir, HOST_BUSYBOX);
    }

    /** As {@link #busybox(Path)} from the given statically linked x86-64 busybox binary. */
    public static Path busybox(Path outDir, Path busyboxBinary) throws IOException {
        return busybox(outDir, busyboxBinary, busyboxConfig(), Map.of());
    }

    /** As {@link #busybox(Path, Path)} with another runtime config and manifest annotations (the managed {@code minimal} base). */
    static Path busybox(Path outDir, Path busyboxBinary, ImageConfig config, Map<String, String> annotations) throws IOException {
        BusyboxImage.checkStatic(busyboxBinary);
        List<String> applets = BusyboxImage.applets(busyboxBinary);
        List<TarEntrySpec> entries = BusyboxImage.entries(busyboxBinary, applets);
        long t0 = System.nanoTime();
        Descriptor manifest = writeAtomically(outDir, new OciLayoutWriter(config).manifestAnnotations(annotations).addLayer(entries));
        log.info("wrote the busybox image {} ({} applets) to {} in {} ms", manifest.digest(), applets.size(), outDir,
                (System.nanoTime() - t0) / 1_000_000);
        return outDir;
    }

    /** The busybox image's runtime config: {@code /bin/sh} in {@code /}. */
    public static ImageConfig busyboxConfig() {
        return ImageConfig.builder().cmd("/bin/sh").env("PATH", PATH).workingDir("/").build();
    }

    /**
     * The Debian demo image for the host's release, from the host's mirror (see
     * {@link DebianSource#host()}): the OCI layout
     * {@code cacheDir/debian-python-<suite>-r<recipe>-<mirror hash>}, built when missing.
     * Building needs root and debootstrap; it works in a temporary directory below
     * {@code workDir} (removed afterwards) and renames the finished layout into place, so a
     * cache entry is either complete or absent.
     */
    public static Path debianPython(Path cacheDir, Path workDir) throws IOException {
        return debianPython(cacheDir, workDir, DebianSource.host());
    }

    /** As {@link #debianPython(Path, Path)} for an explicit suite and mirror. */
    public static Path debianPython(Path cacheDir, Path workDir, DebianSource source) throws IOException {
        return DebianPythonImage.build(cacheDir, workDir, source);
    }

    /** The Debian demo image's runtime config: {@code python3 -m http.server 8080} in {@code /root}. */
    public static ImageConfig debianPythonConfig() {
        return DebianPythonImage.config();
    }

    /** Where {@link #debianPython(Path, Path, DebianSource)} caches the image for {@code source}. */
    public static Path debianPythonCachePath(Path cacheDir, DebianSource source) {
        return cacheDir.resolve(DebianPythonImage.cacheName(source));
    }

    /** Writes a layout into a temporary sibling of {@code outDir}, then renames it into place. */
    private static Descriptor writeAtomically(Path outDir, OciLayoutWriter writer) throws IOException {
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            boolean empty = false;
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.list(target)) {
                    empty = s.findAny().isEmpty();
                }
            }
            if (!empty) {
                throw new FileAlreadyExistsException(target.toString(), null, "not an empty directory");
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Descriptor d = writer.writeLayout(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + tmp + " to " + target, e);
            }
            return d;
        } finally {
            RootTrees.deleteRecursively(tmp);
        }
    }
}
