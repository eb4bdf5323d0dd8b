package dev.burrow.vmm.kernel;

import dev.burrow.vmm.kernel.internal.AtomicFiles;
import dev.burrow.vmm.kernel.internal.CpioWriter;
import dev.burrow.vmm.kernel.internal.ModuleFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the guest initramfs: a gzip-compressed {@code newc} cpio archive with the agent as {@code /init}, the
 * directories it needs, a {@code /dev/console} node, and the requested kernel modules (decompressed) under
 * {@code /burrow/modules/NN-name.ko}, listed in load order in {@code /burrow/modules.order}. The same inputs
 * always give the same bytes.
 */
public final class InitramfsBuilder {
    /** The modules a Burrow guest needs; their dependencies and soft dependencies are added, built-ins skipped. */
    public static final List<String> DEFAULT_MODULES = List.of(
            "virtio_mmio", "virtio_blk", "virtio_console", "virtio_net", "virtio_rng", "ext4", "overlay");

    /** Bump when the archive layout changes, so cached archives are rebuilt. */
    private static final String LAYOUT_VERSION = "burrow-initramfs-1";
    private static final Logger log = LoggerFactory.getLogger(InitramfsBuilder.class);

    private sealed interface Entry {
        record Dir() implements Entry { }
        record File(int permissions, byte[] data) implements Entry { }
        record CharDevice(int permissions, int major, int minor) implements Entry { }
    }

    /** Writes the initramfs for {@code kernel} to {@code outputFile} (replaced atomically) and returns it. */
    public Path build(GuestKernel kernel, Path agentBinary, List<String> modules, Path outputFile) throws IOException {
        long started = System.nanoTime();
        List<ModuleResolver.Module> order = ModuleResolver.load(kernel.modulesDir()).loadOrder(modules);
        SortedMap<String, Entry> entries = new TreeMap<>();
        for (String dir : List.of("dev", "proc", "sys", "newroot", "burrow", "burrow/modules")) {
            entries.put(dir, new Entry.Dir());
        }
        entries.put("dev/console", new Entry.CharDevice(0600, 5, 1));
        entries.put("init", new Entry.File(0755, readAgent(agentBinary)));
        int width = Math.max(2, String.valueOf(order.size()).length());
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < order.size(); i++) {
            ModuleResolver.Module m = order.get(i);
            String path = "burrow/modules/%0" + width + "d-%s.ko";
            path = path.formatted(i + 1, m.name());
            entries.put(path, new Entry.File(0644, ModuleFiles.read(m.file())));
            list.append('/').append(path).append('\n');
        }
        entries.put("burrow/modules.order", new Entry.File(0644, list.toString().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(outputFile, out -> writeArchive(entries, out));
        log.info("built initramfs {} ({} bytes, {} modules: {}) in {} ms", outputFile, Files.size(outputFile),
                order.size(), order.stream().map(ModuleResolver.Module::name).toList(),
                (System.nanoTime() - started) / 1_000_000);
        return outputFile;
    }

    /**
     * The initramfs for these inputs from {@code cacheDir/initramfs/}, built there first if absent. Its name is a
     * SHA-256 of the kernel package and version, the agent binary's bytes and the module list.
     */
    public Path ensure(GuestKernel kernel, Path agentBinary, List<String> modules, Path cacheDir) throws IOException {
        Path target = cacheDir.resolve("initramfs").resolve(cacheKey(kernel, agentBinary, modules) + ".cpio.gz");
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(target.getParent());
        return build(kernel, agentBinary, modules, target);
    }

    static String cacheKey(GuestKernel kernel, Path agentBinary, List<String> modules) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String header = String.join("\n", LAYOUT_VERSION, kernel.packageName(), kernel.packageVersion(),
                kernel.release(), String.join(",", modules.stream().map(ModuleFiles::normalise).toList()), "");
        sha.update(header.getBytes(StandardCharsets.UTF_8));
        sha.update(readAgent(agentBinary));
        return HexFormat.of().formatHex(sha.digest());
    }

    private static byte[] readAgent(Path agentBinary) throws KernelException {
        try {
            return Files.readAllBytes(agentBinary);
        } catch (IOException e) {
            throw new KernelException("Cannot read the guest agent binary " + agentBinary + ": " + e
                    + ". Build it with `make -C guest` (the Maven build does this).", e);
        }
    }

    private static void writeArchive(SortedMap<String, Entry> entries, OutputStream file) throws IOException {
        OutputStream gzip = new GZIPOutputStream(new BufferedOutputStream(file, 1 << 16), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        };
        try (CpioWriter cpio = new CpioWriter(gzip)) {
            for (var e : entries.entrySet()) {
                switch (e.getValue()) {
                    case Entry.Dir() -> cpio.directory(e.getKey(), 0755);
                    case Entry.File(int perm, byte[] data) -> cpio.file(e.getKey(), perm, data);
                    case Entry.CharDevice(int perm, int major, int minor) ->
                            cpio.charDevice(e.getKey(), perm, major, minor);
                }
            }
        }
    }
}
