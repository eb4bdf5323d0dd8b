package dev.burrow.daemon.microvms.lifecycle;

import java.time.Duration;

/**
 * Every knob of the lifecycle, with its default in one place.
 *
 * @param memoryTierSeconds how long a suspended microVM keeps its stopped VMM (the memory tier)
 *                          before it is demoted to the disk tier; 0 = straight to disk
 * @param minAvailableMiB   host memory pressure: below this much MemAvailable, memory-tier VMMs
 *                          are demoted, oldest first
 * @param busyWait          how long a call waits for another operation on the same microVM
 *                          (a suspend of a large guest) before it answers 503 with Retry-After
 * @param cpuBusyFraction   guest CPU (agent excluded) at or above this fraction of one vCPU,
 *                          averaged over {@code cpuWindow}, is activity
 * @param cpuWindow         the window guest CPU is averaged over
 * @param reconcileThreads  how many microVMs a restart reconciles at once
 * @param standbyMemoryMiB  the standby pool's memory budget: standbys kept × their version's
 *                          memory size stays within it (docs/standby.md); 0 = no standbys
 */
public record LifecycleSettings(Duration memoryTierSeconds, long minAvailableMiB, Duration busyWait,
                                double cpuBusyFraction, Duration cpuWindow, int reconcileThreads, long standbyMemoryMiB) {

    /** The standby budget by default: two standbys of a 512 MiB version (the default size: the demo's pool of 2). */
    public static final long DEFAULT_STANDBY_MEMORY_MIB = 1024;

    public static final LifecycleSettings DEFAULTS = new LifecycleSettings(Duration.ofSeconds(120), 1024,
            Duration.ofSeconds(120), 0.05, Duration.ofSeconds(10), 8, DEFAULT_STANDBY_MEMORY_MIB);

    /** The settings before the standby pool (its budget the default). */
    public LifecycleSettings(Duration memoryTierSeconds, long minAvailableMiB, Duration busyWait,
                             double cpuBusyFraction, Duration cpuWindow, int reconcileThreads) {
        this(memoryTierSeconds, minAvailableMiB, busyWait, cpuBusyFraction, cpuWindow, reconcileThreads, DEFAULT_STANDBY_MEMORY_MIB);
    }

    public LifecycleSettings withMemoryTier(Duration d) {
        return new LifecycleSettings(d, minAvailableMiB, busyWait, cpuBusyFraction, cpuWindow, reconcileThreads, standbyMemoryMiB);
    }

    public LifecycleSettings withBusyWait(Duration d) {
        return new LifecycleSettings(memoryTierSeconds, minAvailableMiB, d, cpuBusyFraction, cpuWindow, reconcileThreads, standbyMemoryMiB);
    }

    public LifecycleSettings withMinAvailableMiB(long mib) {
        return new LifecycleSettings(memoryTierSeconds, mib, busyWait, cpuBusyFraction, cpuWindow, reconcileThreads, standbyMemoryMiB);
    }

    public LifecycleSettings withStandbyMemoryMiB(long mib) {
        return new LifecycleSettings(memoryTierSeconds, minAvailableMiB, busyWait, cpuBusyFraction, cpuWindow, reconcileThreads, mib);
    }

    public boolean memoryTier() {
        return !memoryTierSeconds.isZero();
    }
}
