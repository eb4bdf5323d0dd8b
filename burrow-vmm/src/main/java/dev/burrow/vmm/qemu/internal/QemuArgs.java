package dev.burrow.vmm.qemu.internal;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.MachineSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The QEMU command line. Boot and restore use the same device set (a snapshot freezes it and
 * microvm cannot hot-plug), so every device a later run may need is here from the start — the
 * NIC too, with its link set down until a network mode gives it a backend.
 */
public final class QemuArgs {

    /**
     * Machine options of every VMM booted now, and so of every template made now. They shape the
     * device state a snapshot holds, so a template records them ({@code HostProfile.machine()}) and
     * is restored with the options it was made with, not these. {@code pit=off}: no i8254, whose
     * QEMU timer woke the main loop of every idle VMM (the guest uses the TSC and the LAPIC timer,
     * and {@code tsc_early_khz} spares it the PIT calibration): 0.97 % to 0.60 % of a core per idle
     * microVM (docs/adr/0040-idle-density.md).
     */
    public static final String MACHINE = "microvm,x-option-roms=off,isa-serial=on,rtc=off,memory-backend=mem,pit=off";
    /**
     * Machine options earlier Burrows booted with, which this one still starts to restore their
     * templates and saved states. A change to {@link #MACHINE} adds the options it replaces here;
     * an entry goes only when this QEMU can no longer start it.
     */
    public static final List<String> EARLIER_MACHINES = List.of("microvm,x-option-roms=off,isa-serial=on,rtc=off,memory-backend=mem");
    /**
     * The options a VMM started before its directory recorded them ran with: every Burrow that did
     * not write {@link #MACHINE_RECORD} booted and restored with these.
     */
    public static final String UNRECORDED_MACHINE = "microvm,x-option-roms=off,isa-serial=on,rtc=off,memory-backend=mem";
    /** The file in a VMM's directory that holds the machine options it was started with. */
    public static final String MACHINE_RECORD = "vmm.machine";
    /**
     * The guest kernel's command line. {@code tsc=reliable}: under TCG the clocksource watchdog
     * compares the TSC with jiffies, which lag whenever the host is busy, so it marked the TSC
     * unstable seconds after boot; the guest fell back to jiffies, which cannot drive high-resolution
     * timers, so the tick never stopped and every idle microVM took HZ (250) timer interrupts a
     * second. With the TSC kept, an idle guest is tickless (docs/adr/0034-idle-microvms.md).
     * {@code nowatchdog} (no soft-lockup hrtimer, whose 4 s checks a TCG vCPU starved by a busy host
     * fails anyway) and {@code sysctl.vm.stat_interval=10} (the per-CPU memory statistics folded every
     * 10 s instead of every second): two fewer reasons for an idle guest to wake, 0.57 % to 0.53 % of a
     * core per idle microVM and ~10 % fewer timer interrupts in one run of 30 + 30
     * (docs/adr/0040-idle-density.md).
     */
    public static final String KERNEL_CMDLINE =
            "console=ttyS0 quiet panic=-1 init_on_alloc=0 burrow.root=/dev/vda tsc=reliable nowatchdog sysctl.vm.stat_interval=10";
    /**
     * The serial console goes to this fd, a pipe from burrow-jailer, which keeps it in a ring of
     * two files ({@code console.log} and {@code console.log.1}) of {@link #CONSOLE_BYTES} in all.
     */
    public static final int CONSOLE_FD = 3;
    /** The most a microVM's console takes on disk, both halves together. */
    public static final long CONSOLE_BYTES = 1L << 20;
    /** The console ring's half being written, in a VMM's directory (and kept with a saved state). */
    public static final String CONSOLE = "console.log";
    /** The console ring's older half: the jailer renames {@link #CONSOLE} to this when it is full. */
    public static final String CONSOLE_OLDER = CONSOLE + ".1";

    private QemuArgs() {}

    /**
     * Paths one VMM uses; {@code incoming} for a restore (false: cold boot); {@code machine} the
     * machine options it starts with ({@link #MACHINE} for a boot, the template's for a restore).
     */
    public record Files(Path kernel, Path initramfs, Path memory, boolean memoryShared, Path disk,
                        Path console, Path qmpSocket, Path agentSocket, boolean incoming, boolean deviceStateOnly, String machine) {

        public Files {
            if (!canStart(machine)) {
                throw new IllegalArgumentException("machine options this Burrow does not start: " + machine);
            }
        }
    }

    /** The migration capability both ends need: guest RAM stays in its file, only device state travels. */
    public static final Map<String, Object> IGNORE_SHARED = Map.of("capabilities",
            List.of(Map.of("capability", "x-ignore-shared", "state", true)));

    /**
     * Whether this QEMU opens a privately mapped ({@code share=off}) memory file read-only when it
     * may not write it: from 8.2 it falls back to O_RDONLY for MAP_PRIVATE; before, it opens the
     * file O_RDWR or fails (docs/adr/0017-the-jail.md). {@code version} as {@code --version} prints it.
     */
    public static boolean privateMappingOpensReadOnly(String version) {
        Matcher m = MAJOR_MINOR.matcher(version);
        if (!m.lookingAt()) {
            return false; // unknown: assume the old behaviour, which works either way
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > READ_ONLY_FALLBACK_MAJOR || major == READ_ONLY_FALLBACK_MAJOR && minor >= READ_ONLY_FALLBACK_MINOR;
    }

    private static final Pattern MAJOR_MINOR = Pattern.compile("(\\d{1,4})\\.(\\d{1,4})");
    private static final int READ_ONLY_FALLBACK_MAJOR = 8;
    private static final int READ_ONLY_FALLBACK_MINOR = 2;

    /** Whether this Burrow starts a VMM with {@code machine} options: today's, or one of {@link #EARLIER_MACHINES}. */
    public static boolean canStart(String machine) {
        return MACHINE.equals(machine) || EARLIER_MACHINES.contains(machine);
    }

    public static String cpuModel(Accelerator accel) {
        return accel == Accelerator.KVM ? "host" : "max";
    }

    /**
     * Extra kernel arguments. Under TCG the guest's TSC ticks at the host's TSC rate, and a stock
     * kernel on microvm (no HPET, no PM timer) can only calibrate it against the PIT — which
     * fails when the host is busy, marking the TSC unstable and hanging the boot. Telling the
     * kernel the rate skips that calibration.
     */
    public static String kernelArgs(Accelerator accel, long tscKhz) {
        return accel == Accelerator.TCG && tscKhz > 0 ? KERNEL_CMDLINE + " tsc_early_khz=" + tscKhz : KERNEL_CMDLINE;
    }

    /** The NIC's backend when a network path gives it one: a tap QEMU opens by name in its own network namespace. */
    static final String NETDEV = "nd0";

    public static List<String> build(String qemu, String name, Accelerator accel, int tbSizeMiB, long tscKhz, MachineSpec m, Files f) {
        return build(qemu, name, accel, tbSizeMiB, tscKhz, m, f, null);
    }

    /**
     * The command line; {@code tap} (null: none) names a tap device that becomes the NIC's
     * backend. The backend is not part of the migration state, so a restore may attach one to a
     * NIC saved without it; the link stays down (as saved) until set up over QMP.
     */
    public static List<String> build(String qemu, String name, Accelerator accel, int tbSizeMiB, long tscKhz, MachineSpec m, Files f,
                                     String tap) {
        List<String> a = new ArrayList<>();
        a.add(qemu);
        a.addAll(List.of("-name", name, "-M", f.machine(), "-nodefaults", "-no-user-config", "-nographic", "-no-reboot"));
        a.addAll(List.of("-accel", accel == Accelerator.KVM ? "kvm" : "tcg,tb-size=" + tbSizeMiB));
        a.addAll(List.of("-cpu", cpuModel(accel), "-smp", Integer.toString(m.vcpus()), "-m", m.memoryMiB() + "M"));
        // restores map the template privately (copy-on-write). Not readonly=on: before QEMU 8.2
        // that also makes guest RAM read-only and the guest hangs.
        a.addAll(List.of("-object", "memory-backend-file,id=mem,size=" + m.memoryMiB() + "M,mem-path=" + f.memory()
                + (f.memoryShared() ? ",share=on" : ",share=off")));
        if (!f.incoming()) {
            // a restore's guest is already running its kernel (its RAM comes from the template), and
            // QEMU keeps a private copy of -kernel for the boot loader: ~8 MiB of every restored
            // VMM's PSS that nothing reads (docs/adr/0040-idle-density.md)
            a.addAll(List.of("-kernel", f.kernel().toString(), "-initrd", f.initramfs().toString(), "-append", kernelArgs(accel, tscKhz)));
        }
        // the jailer writes f.console(); an fd set, not /dev/fd/3, because a jail has no /proc
        // (append: QEMU would truncate the file it opens, and a pipe cannot be truncated)
        a.addAll(List.of("-add-fd", "fd=" + CONSOLE_FD + ",set=" + CONSOLE_FD,
                "-chardev", "file,id=console,path=/dev/fdset/" + CONSOLE_FD + ",append=on", "-serial", "chardev:console"));
        a.addAll(List.of("-blockdev", "driver=file,node-name=rootfile,filename=" + f.disk(),
                "-blockdev", "driver=qcow2,node-name=root,file=rootfile",
                "-device", "virtio-blk-device,drive=root,id=rootdisk"));
        a.addAll(List.of("-device", "virtio-serial-device,id=vser",
                "-chardev", "socket,id=agent,path=" + f.agentSocket() + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=burrow.agent,id=agentport"));
        a.addAll(List.of("-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-device,rng=rng0"));
        if (tap == null) {
            a.addAll(List.of("-device", "virtio-net-device,id=net0,mac=02:b0:00:00:00:01"));
        } else {
            a.addAll(List.of("-netdev", "tap,id=" + NETDEV + ",ifname=" + tap + ",script=no,downscript=no",
                    "-device", "virtio-net-device,id=net0,mac=02:b0:00:00:00:01,netdev=" + NETDEV));
        }
        a.addAll(List.of("-qmp", "unix:" + f.qmpSocket() + ",server=on,wait=off"));
        // seccomp: no spawning (why snapshots travel over unix: sockets, never exec:)
        a.addAll(List.of("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        // the source is stopped before it is saved; without this the restored VM would stay paused
        a.addAll(List.of("-global", "migration.store-global-state=off"));
        if (f.deviceStateOnly()) {
            // xen-save-devices-state writes no configuration section; the loader must not expect one
            a.addAll(List.of("-global", "migration.send-configuration=off"));
        }
        if (f.incoming()) {
            // x-ignore-shared has no command-line property before QEMU 8: set over QMP, then migrate-incoming
            a.addAll(List.of("-incoming", "defer"));
        }
        return a;
    }
}
