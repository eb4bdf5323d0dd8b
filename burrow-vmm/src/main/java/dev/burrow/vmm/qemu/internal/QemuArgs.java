package dev.burrow.vmm.qemu.internal;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.MachineSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU command line. Boot and restore use the same device set (a snapshot freezes it and
 * microvm cannot hot-plug), so every device a later run may need is here from the start — the
 * NIC too, with its link set down until a network mode gives it a backend.
 */
public final class QemuArgs {

    /** Machine options recorded in every template. */
    public static final String MACHINE = "microvm,x-option-roms=off,isa-serial=on,rtc=off,memory-backend=mem";
    static final String KERNEL_CMDLINE = "console=ttyS0 quiet panic=-1 init_on_alloc=0 burrow.root=/dev/vda";

    private QemuArgs() {}

    /** Paths one VMM uses. {@code incoming} is null for a cold boot. */
    public record Files(Path kernel, Path initramfs, Path memory, boolean memoryShared, Path disk,
                        Path console, Path qmpSocket, Path agentSocket, Path incoming) {}

    public static String cpuModel(Accelerator accel) {
        return accel == Accelerator.KVM ? "host" : "max";
    }

    public static List<String> build(String qemu, String name, Accelerator accel, int tbSizeMiB, MachineSpec m, Files f) {
        List<String> a = new ArrayList<>();
        a.add(qemu);
        a.addAll(List.of("-name", name, "-M", MACHINE, "-nodefaults", "-no-user-config", "-nographic", "-no-reboot"));
        a.addAll(List.of("-accel", accel == Accelerator.KVM ? "kvm" : "tcg,tb-size=" + tbSizeMiB));
        a.addAll(List.of("-cpu", cpuModel(accel), "-smp", Integer.toString(m.vcpus()), "-m", m.memoryMiB() + "M"));
        a.addAll(List.of("-object", "memory-backend-file,id=mem,size=" + m.memoryMiB() + "M,mem-path=" + f.memory()
                + (f.memoryShared() ? ",share=on" : ",share=off,readonly=on")));
        a.addAll(List.of("-kernel", f.kernel().toString(), "-initrd", f.initramfs().toString(), "-append", KERNEL_CMDLINE));
        a.addAll(List.of("-serial", "file:" + f.console()));
        a.addAll(List.of("-blockdev", "driver=file,node-name=rootfile,filename=" + f.disk(),
                "-blockdev", "driver=qcow2,node-name=root,file=rootfile",
                "-device", "virtio-blk-device,drive=root,id=rootdisk"));
        a.addAll(List.of("-device", "virtio-serial-device,id=vser",
                "-chardev", "socket,id=agent,path=" + f.agentSocket() + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=burrow.agent,id=agentport"));
        a.addAll(List.of("-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-device,rng=rng0"));
        a.addAll(List.of("-device", "virtio-net-device,id=net0,mac=02:b0:00:00:00:01"));
        a.addAll(List.of("-qmp", "unix:" + f.qmpSocket() + ",server=on,wait=off"));
        // seccomp: no spawning (why snapshots travel over unix: sockets, never exec:)
        a.addAll(List.of("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        // the source is stopped before it is saved; without this the restored VM would stay paused
        a.addAll(List.of("-global", "migration.store-global-state=off", "-global", "migration.x-ignore-shared=on"));
        if (f.incoming() != null) {
            a.addAll(List.of("-incoming", "unix:" + f.incoming()));
        }
        return a;
    }
}
