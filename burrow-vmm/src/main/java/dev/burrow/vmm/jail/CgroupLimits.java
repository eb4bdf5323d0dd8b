package dev.burrow.vmm.jail;

import dev.burrow.vmm.MachineSpec;

/**
 * The limits of one microVM's cgroup. {@link #forMachine} is the formula; every allowance in it
 * is a named constant here, with the measurement behind it in docs/adr (cgroups and abuse).
 *
 * @param cpuQuotaMicros  CPU time the VMM may use per period, all its threads together
 * @param cpuPeriodMicros the CFS period the quota refers to
 * @param memoryBytes     memory charged to the VMM (guest RAM it touched, QEMU's own, page cache)
 * @param pidsMax         processes and threads the VMM may have
 * @param cpuShares       its weight against its siblings when CPUs are contended, in v1 {@code cpu.shares}
 *                        units (1024: one ordinary task; v2's {@code cpu.weight} is this scaled to 100)
 */
public record CgroupLimits(long cpuQuotaMicros, long cpuPeriodMicros, long memoryBytes, long pidsMax, long cpuShares) {

    /** The CFS period: the kernel's default, short enough that a throttled VMM stalls for at most this long. */
    public static final long CPU_PERIOD_MICROS = 100_000;
    /**
     * CPU on top of one period per vCPU, for QEMU's main loop, I/O threads and (TCG) code
     * translation. Under TCG a spinning vCPU thread alone takes a whole host CPU, so without
     * it the agent's replies and disk I/O queue behind the guest.
     */
    public static final long CPU_ALLOWANCE_MICROS = 50_000;
    /**
     * QEMU's own memory besides guest RAM and the translation cache: binary, heap, thread stacks,
     * device buffers. Measured: a 2-vCPU 384 MiB TCG guest whose RAM a memory hog touched
     * entirely peaked at 172 MiB above its RAM, translation cache (at most 64) included.
     */
    public static final long QEMU_OVERHEAD_MIB = 128;
    /** Per 100 MiB of guest RAM, for what grows with it: host page tables of the mapping, dirty bitmaps. */
    public static final long GUEST_RAM_OVERHEAD_PERCENT = 1;
    /** Page cache the VMM's file I/O may hold (the disk overlay, console and state files) before reclaim. */
    public static final long PAGE_CACHE_HEADROOM_MIB = 64;
    /** Fixed QEMU threads: main loop, RCU, signal handling, the migration and I/O helpers. */
    public static final long PIDS_BASE = 16;
    /** QEMU's thread pool for blocking I/O (its default maximum is 64 workers). */
    public static final long PIDS_IO_POOL = 64;
    /** The CPU weight of one vCPU: what the kernel gives one ordinary task (v1 cpu.shares). */
    public static final long SHARES_PER_VCPU = 1024;
    /** v1 cpu.shares' range. */
    public static final long MIN_SHARES = 2;
    public static final long MAX_SHARES = 262_144;

    public CgroupLimits {
        if (cpuPeriodMicros < 1_000 || cpuPeriodMicros > 1_000_000) {
            throw new IllegalArgumentException("cpuPeriodMicros must be 1000..1000000: " + cpuPeriodMicros);
        }
        if (cpuQuotaMicros < 1_000) {
            throw new IllegalArgumentException("cpuQuotaMicros must be at least 1000: " + cpuQuotaMicros);
        }
        if (memoryBytes < 1L << 20) {
            throw new IllegalArgumentException("memoryBytes must be at least 1 MiB: " + memoryBytes);
        }
        if (pidsMax < 1) {
            throw new IllegalArgumentException("pidsMax must be at least 1: " + pidsMax);
        }
        if (cpuShares < MIN_SHARES || cpuShares > MAX_SHARES) {
            throw new IllegalArgumentException("cpuShares must be " + MIN_SHARES + ".." + MAX_SHARES + ": " + cpuShares);
        }
    }

    /**
     * The limits for a VMM of {@code m}: one CPU per vCPU plus {@link #CPU_ALLOWANCE_MICROS};
     * guest RAM plus the TCG translation cache ({@code tbSizeMiB}, 0 under KVM),
     * {@link #QEMU_OVERHEAD_MIB}, {@link #GUEST_RAM_OVERHEAD_PERCENT} and {@link #PAGE_CACHE_HEADROOM_MIB}; one thread per vCPU plus
     * {@link #PIDS_BASE} and {@link #PIDS_IO_POOL}; a CPU weight of {@link #SHARES_PER_VCPU} per vCPU.
     */
    /** v2's {@code cpu.weight} (1..10000, default 100) for a v1 weight of {@code shares} (default 1024). */
    public static long cpuWeight(long shares) {
        return Math.max(1, Math.min(10_000, shares * 100 / SHARES_PER_VCPU));
    }

    public static CgroupLimits forMachine(MachineSpec m, int tbSizeMiB) {
        if (tbSizeMiB < 0) {
            throw new IllegalArgumentException("tbSizeMiB must not be negative: " + tbSizeMiB);
        }
        long memoryMiB = m.memoryMiB() + m.memoryMiB() * GUEST_RAM_OVERHEAD_PERCENT / 100 + (long) tbSizeMiB + QEMU_OVERHEAD_MIB
                + PAGE_CACHE_HEADROOM_MIB;
        return new CgroupLimits(m.vcpus() * CPU_PERIOD_MICROS + CPU_ALLOWANCE_MICROS, CPU_PERIOD_MICROS,
                memoryMiB << 20, m.vcpus() + PIDS_BASE + PIDS_IO_POOL, m.vcpus() * SHARES_PER_VCPU);
    }
}
