package dev.burrow.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How guest code runs. KVM needs the CPU's hardware virtualisation ({@code vmx}/{@code svm}) and a
 * usable /dev/kvm; without the flags (e.g. a paravirtual nested {@code kvm_pvm} that hangs stock
 * kernels) Burrow uses TCG, QEMU's emulator, which is correct but slower and, per QEMU's security
 * policy, not a security boundary.
 */
public enum Accelerator {
    KVM, TCG;

    private static final Pattern HW_VIRT = Pattern.compile("^flags\\s*:.*\\b(vmx|svm)\\b", Pattern.MULTILINE);

    public String qemuName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Resolves "auto", "kvm" or "tcg" (case-insensitive). */
    public static Accelerator resolve(String setting) {
        return switch (setting == null ? "auto" : setting.toLowerCase(Locale.ROOT)) {
            case "auto", "" -> detect(Path.of("/proc/cpuinfo"), Path.of("/dev/kvm"));
            case "kvm" -> KVM;
            case "tcg" -> TCG;
            default -> throw new IllegalArgumentException("accelerator must be auto, kvm or tcg: " + setting);
        };
    }

    static Accelerator detect(Path cpuinfo, Path kvmDevice) {
        try {
            String info = Files.readString(cpuinfo);
            if (HW_VIRT.matcher(info).find() && Files.isReadable(kvmDevice) && Files.isWritable(kvmDevice)) {
                return KVM;
            }
        } catch (IOException e) {
            // no cpuinfo: be safe
        }
        return TCG;
    }
}
