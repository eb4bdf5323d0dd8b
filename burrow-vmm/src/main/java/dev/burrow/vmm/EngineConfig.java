package dev.burrow.vmm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Engine settings, with every default visible here. The instance id is derived from the data
 * directory, so two daemons on one host (a developer's and a test's) never touch each other's
 * VMMs, sockets or files.
 *
 * @param dataDir     VM and template files
 * @param cacheDir    shared by every daemon on the host: guest kernel, initramfs
 * @param runDir      sockets; kept short because unix socket paths must stay under 108 bytes
 * @param accelerator "auto", "kvm" or "tcg"
 * @param tbSizeMiB   TCG translation cache per VMM (QEMU's default is min(1 GiB, RAM/8))
 * @param jail        every VMM runs jailed by burrow-jailer (own namespaces, root and uid); off only to
 *                    measure what the jail costs (docs/adr/0017-the-jail.md)
 */
public record EngineConfig(Path dataDir, Path cacheDir, Path runDir, String instanceId, String qemuBinary,
                           String accelerator, int tbSizeMiB, Duration bootTimeout, Duration restoreTimeout,
                           int corruptFramesPerMinute, MemoryModel memoryModel, boolean jail) {

    public EngineConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(memoryModel, "memoryModel");
        if (!instanceId.matches("[a-z0-9]{4,16}")) {
            throw new IllegalArgumentException("instanceId must match [a-z0-9]{4,16}: " + instanceId);
        }
        if (tbSizeMiB < 8 || tbSizeMiB > 1024) {
            throw new IllegalArgumentException("tbSizeMiB must be 8..1024: " + tbSizeMiB);
        }
    }

    public static EngineConfig defaults(Path dataDir, Path cacheDir) {
        Path data = dataDir.toAbsolutePath().normalize();
        String instance = instanceIdFor(data);
        return new EngineConfig(data, cacheDir.toAbsolutePath().normalize(), Path.of("/run/burrow", instance), instance,
                "qemu-system-x86_64", "auto", 64, Duration.ofSeconds(120), Duration.ofSeconds(30), 100, MemoryModel.PRIVATE, true);
    }

    public EngineConfig withAccelerator(String value) {
        return new EngineConfig(dataDir, cacheDir, runDir, instanceId, qemuBinary, value, tbSizeMiB, bootTimeout, restoreTimeout, corruptFramesPerMinute, memoryModel, jail);
    }

    public EngineConfig withQemuBinary(String value) {
        return new EngineConfig(dataDir, cacheDir, runDir, instanceId, value, accelerator, tbSizeMiB, bootTimeout, restoreTimeout, corruptFramesPerMinute, memoryModel, jail);
    }

    public EngineConfig withMemoryModel(MemoryModel value) {
        return new EngineConfig(dataDir, cacheDir, runDir, instanceId, qemuBinary, accelerator, tbSizeMiB, bootTimeout, restoreTimeout, corruptFramesPerMinute, value, jail);
    }

    public EngineConfig withTbSizeMiB(int value) {
        return new EngineConfig(dataDir, cacheDir, runDir, instanceId, qemuBinary, accelerator, value, bootTimeout, restoreTimeout, corruptFramesPerMinute, memoryModel, jail);
    }

    public EngineConfig withJail(boolean value) {
        return new EngineConfig(dataDir, cacheDir, runDir, instanceId, qemuBinary, accelerator, tbSizeMiB, bootTimeout, restoreTimeout, corruptFramesPerMinute, memoryModel, value);
    }

    /** First 12 hex digits of the SHA-256 of the absolute data directory path. */
    public static String instanceIdFor(Path dataDir) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(dataDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
