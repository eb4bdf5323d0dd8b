package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.KernelException;
import org.tukaani.xz.XZInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** Module file names and contents: {@code .ko}, {@code .ko.xz} and {@code .ko.gz}; {@code .ko.zst} is refused. */
public final class ModuleFiles {
    private ModuleFiles() {
    }

    /** Whether {@code fileName} looks like a kernel module, compressed or not. */
    public static boolean isModule(String fileName) {
        return fileName.endsWith(".ko") || fileName.endsWith(".ko.xz") || fileName.endsWith(".ko.gz")
                || fileName.endsWith(".ko.zst");
    }

    /** The module name of a path such as {@code kernel/drivers/char/hw_random/virtio-rng.ko.xz}: {@code virtio_rng}. */
    public static String nameOf(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        int ko = base.lastIndexOf(".ko");
        if (ko > 0) {
            base = base.substring(0, ko);
        }
        return normalise(base);
    }

    /** Module names treat {@code -} and {@code _} alike; the canonical form uses {@code _}. */
    public static String normalise(String name) {
        return name.strip().replace('-', '_');
    }

    /** The uncompressed bytes of a module file. */
    public static byte[] read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".ko")) {
            return Files.readAllBytes(file);
        }
        if (name.endsWith(".ko.zst")) {
            throw new KernelException("Kernel module " + file + " is zstd-compressed, which Burrow cannot unpack yet."
                    + " Use a kernel package whose modules are .ko or .ko.xz (set BURROW_KERNEL_PACKAGE).");
        }
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = name.endsWith(".ko.xz") ? new XZInputStream(raw) : new GZIPInputStream(raw)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new KernelException("Cannot decompress kernel module " + file + ": " + e.getMessage()
                    + ". The kernel cache entry may be damaged; delete its directory to fetch it again.", e);
        }
    }
}
