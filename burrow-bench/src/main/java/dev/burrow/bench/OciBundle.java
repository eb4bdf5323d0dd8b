package dev.burrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * An OCI runtime bundle for the side-by-side benchmark: a root of the same static busybox the
 * Burrow image is built from ({@link BuiltinImages#HOST_BUSYBOX}), with the few applets the
 * benchmark calls, and {@code runc spec}'s default configuration (read-only root, its own
 * namespaces, no terminal) whose process sleeps until the container is deleted, or is the
 * command itself for the one-call row.
 */
final class OciBundle {

    /** The applets the bundle's root offers, each a symlink to {@code /bin/busybox}. */
    static final List<String> APPLETS = List.of("sh", "echo", "sleep", "true");
    /** The container's own process: it only has to outlive one exec. */
    static final List<String> INIT = List.of("sleep", "3600");
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciBundle() {}

    /** Writes the bundle whose process is {@link #INIT} into the new directory {@code dir} and returns it. */
    static Path create(Path dir) throws Exception {
        return create(dir, INIT);
    }

    /** Writes the bundle whose process is {@code args} into the new directory {@code dir}; {@code runc} makes the default configuration. */
    static Path create(Path dir, List<String> args) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(BuiltinImages.HOST_BUSYBOX, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String applet : APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        for (String d : List.of("proc", "dev", "sys", "tmp")) {
            Files.createDirectories(dir.resolve("rootfs").resolve(d));
        }
        Process p = new ProcessBuilder("runc", "spec", "--bundle", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("runc spec failed: " + out);
        }
        Path config = dir.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        process.set("args", JSON.valueToTree(args));
        JSON.writerWithDefaultPrettyPrinter().writeValue(config.toFile(), spec);
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        return dir;
    }
}
