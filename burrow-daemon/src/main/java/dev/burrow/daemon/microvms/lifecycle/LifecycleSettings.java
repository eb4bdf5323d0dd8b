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
 */
public record LifecycleSettings(Duration memoryTierSeconds, long minAvailableMiB, Duration busyWait,
                                double cpuBusyFraction, Duration cpuWindow, int reconcileThreads) {

    public static final LifecycleSettings DEFAULTS = new LifecycleSettings(Duration.ofSeconds(120), 1024,
            Duration.ofSeconds(120), 0.05, Duration.ofSeconds(10), 8);

    public LifecycleSettings withMemoryTier(Duration d) {
        return new LifecycleSettings(d, minAvailableMiB, busyWait, cpuBusyFraction, cpuWindow, reconcileThreads);
    }

    public LifecycleSettings withBusyWait(Duration d) {
        return new LifecycleSettings(memoryTierSeconds, minAvailableMiB, d, cpuBusyFraction, cpuWindow, reconcileThreads);
    }

    public LifecycleSettings withMinAvailableMiB(long mib) {
        return new LifecycleSettings(memoryTierSeconds, mib, busyWait, cpuBusyFraction, cpuWindow, reconcileThreads);
    }

    public boolean memoryTier() {
        return !memoryTierSeconds.isZero();
    }
}
