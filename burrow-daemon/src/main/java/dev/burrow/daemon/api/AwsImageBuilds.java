package dev.burrow.daemon.api;

import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.vmm.Template;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A version's build as the model describes one (MicrovmImageBuildSummary, GetMicrovmImageBuild):
 * Burrow builds each version once, on this host, so a version has exactly one build, id
 * {@code build-<version>}. Architecture and chipset are the host's (X86_64, INTEL or AMD: the
 * model's enums know only ARM_64 and GRAVITON). Snapshot sizes are the template's files on disk.
 */
final class AwsImageBuilds {

    static final String CPUINFO = "/proc/cpuinfo";
    private static final String BUILD_PREFIX = "build-";
    /** The template file holding the root filesystem the image and its code were installed into. */
    static final String ROOTFS = "rootfs.ext4";

    private final String architecture;
    private final String chipset;
    private final String generation;

    AwsImageBuilds(String architecture) {
        this(architecture, Path.of(CPUINFO));
    }

    AwsImageBuilds(String architecture, Path cpuinfo) {
        this.architecture = architecture;
        Map<String, String> cpu = cpuinfo(cpuinfo);
        this.chipset = switch (cpu.getOrDefault("vendor_id", "")) {
            case "GenuineIntel" -> "INTEL";
            case "AuthenticAMD" -> "AMD";
            default -> "UNKNOWN";
        };
        this.generation = cpu.containsKey("cpu family") ? "family" + cpu.get("cpu family") + "-model" + cpu.getOrDefault("model", "0")
                : "unknown";
    }

    /** The first processor's fields of {@code /proc/cpuinfo} (empty when unreadable). */
    private static Map<String, String> cpuinfo(Path file) {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    break;
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    m.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip().replaceAll("\\s+", "_"));
                }
            }
        } catch (IOException e) {
            // no cpuinfo: chipset UNKNOWN
        }
        return m;
    }

    String architecture() {
        return architecture;
    }

    String id(ImageVersion v) {
        return BUILD_PREFIX + v.version();
    }

    /** Whether this host's build matches ListMicrovmImageBuilds' filters (absent: any). */
    boolean matches(String arch, String chip, String gen) {
        return (arch == null || arch.equals(architecture)) && (chip == null || chip.equals(chipset)) && (gen == null || gen.equals(generation));
    }

    Map<String, Object> view(String imageArn, ImageVersion v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("imageArn", imageArn);
        m.put("imageVersion", Integer.toString(v.version()));
        m.put("buildId", id(v));
        m.put("buildState", AwsImageRoutes.versionState(v.state()));
        m.put("architecture", architecture);
        m.put("chipset", chipset);
        m.put("chipsetGeneration", generation);
        m.put("stateReason", v.stateReason());
        m.put("createdAt", AwsJson.timestamp(v.createdAt()));
        m.put("snapshotBuild", snapshot(v));
        return m;
    }

    /**
     * Sizes of the template's files: memory = {@code memory} + {@code state} (+ a delta and its
     * index); disk = {@code disk.qcow2} + {@code overlay.qcow2}; code install = the version's
     * {@code rootfs.ext4}. Absent until the version is READY.
     */
    static Map<String, Object> snapshot(ImageVersion v) {
        if (v.templateDir() == null || !Files.exists(v.templateDir().resolve(Template.MANIFEST))) {
            return null;
        }
        try {
            Template t = Template.load(v.templateDir());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("memorySnapshotSizeInBytes", size(t.memory(), t.state(), t.delta(), t.deltaIndex()));
            m.put("codeInstallSizeInBytes", size(v.templateDir().getParent().resolve(ROOTFS)));
            m.put("diskSnapshotSizeInBytes", size(t.disk(), t.pristineOverlay()));
            return m;
        } catch (IOException e) {
            return null;
        }
    }

    private static long size(Path... files) throws IOException {
        long total = 0;
        for (Path f : files) {
            if (f != null && Files.isRegularFile(f)) {
                total += Files.size(f);
            }
        }
        return total;
    }

    /** Burrow's hooks in the model's shape (for versions made through /v1). */
    static AwsImageShapes.HooksShape hooksShape(Hooks h) {
        return new AwsImageShapes.HooksShape(h.port(),
                new AwsImageShapes.MicrovmHooks(state(h.run()), h.run().timeoutSeconds(), state(h.resume()), h.resume().timeoutSeconds(),
                        state(h.suspend()), h.suspend().timeoutSeconds(), state(h.terminate()), h.terminate().timeoutSeconds()),
                new AwsImageShapes.MicrovmImageHooks(state(h.ready()), h.ready().timeoutSeconds(), state(h.validate()),
                        h.validate().timeoutSeconds()));
    }

    private static String state(Hook h) {
        return h.enabled() ? "ENABLED" : "DISABLED";
    }
}
