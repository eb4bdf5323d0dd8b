package dev.burrow.vmm.kernel;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A guest kernel extracted from a Debian {@code linux-image-*} package.
 *
 * @param vmlinuz        the bootable kernel image ({@code boot/vmlinuz-<release>})
 * @param modulesDir     the module tree ({@code …/lib/modules/<release>}), holding {@code modules.dep}
 * @param release        the kernel release, e.g. {@code 6.1.0-57-amd64}
 * @param packageName    the Debian package the kernel came from
 * @param packageVersion that package's version
 */
public record GuestKernel(Path vmlinuz, Path modulesDir, String release, String packageName,
                          String packageVersion) {
    public GuestKernel {
        Objects.requireNonNull(vmlinuz, "vmlinuz");
        Objects.requireNonNull(modulesDir, "modulesDir");
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(packageName, "packageName");
        Objects.requireNonNull(packageVersion, "packageVersion");
    }
}
