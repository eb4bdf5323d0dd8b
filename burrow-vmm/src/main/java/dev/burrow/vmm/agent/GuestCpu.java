package dev.burrow.vmm.agent;

import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One sample of the guest's CPU counters, the agent's answer to STATS (docs/PROTOCOL.md, "Guest
 * CPU"). Counters are clock ticks since the guest booted, unsigned 64-bit on the wire:
 * {@code totalTicks} sums every CPU's every state (so it grows by about {@code cpus ×
 * ticksPerSecond} a second), {@code idleTicks} is its idle and iowait part, {@code agentTicks}
 * the agent's own user and system time (not its children's: execs are user activity).
 *
 * <p>One sample means little; {@link #busyFraction} compares two.
 */
public record GuestCpu(long totalTicks, long idleTicks, long agentTicks, int ticksPerSecond, int cpus) {

    public GuestCpu {
        if (ticksPerSecond < 1 || cpus < 1) {
            throw new IllegalArgumentException("ticksPerSecond and cpus must be positive: " + ticksPerSecond + ", " + cpus);
        }
    }

    /**
     * How busy the guest was between two samples, the agent left out, in vCPUs: 1.0 is one vCPU
     * busy the whole time (a guest with 2 vCPUs both busy gives 2.0). With Δ the unsigned growth
     * of each counter from {@code before} to {@code after}:
     *
     * <pre>
     *   busyTicks = max(0, Δtotal − Δidle − Δagent)
     *   busy      = busyTicks / (Δtotal / cpus)       (Δtotal / cpus: the window, in ticks of one CPU)
     * </pre>
     *
     * The agent's time is counted per process and the totals per CPU tick, so Δagent may exceed
     * the busy ticks by a tick: that is 0, not negative. Empty when the two samples do not make a
     * window: no tick passed, a counter went backwards (a reset or a wrap: another boot, another
     * guest), Δidle exceeds Δtotal, or the tick rate or CPU count differ.
     */
    public static OptionalDouble busyFraction(GuestCpu before, GuestCpu after) {
        return window(before, after).map(w -> OptionalDouble.of(
                (double) Math.max(0, w.total - w.idle - w.agent) * after.cpus / w.total)).orElse(OptionalDouble.empty());
    }

    /** The agent's own CPU between two samples, in vCPUs: what {@link #busyFraction} leaves out. */
    public static OptionalDouble agentFraction(GuestCpu before, GuestCpu after) {
        return window(before, after).map(w -> OptionalDouble.of((double) w.agent * after.cpus / w.total)).orElse(OptionalDouble.empty());
    }

    /** Counter growth between two samples; every field positive or zero, total positive. */
    private record Window(long total, long idle, long agent) {}

    private static Optional<Window> window(GuestCpu before, GuestCpu after) {
        if (before.cpus != after.cpus || before.ticksPerSecond != after.ticksPerSecond
                || Long.compareUnsigned(after.totalTicks, before.totalTicks) <= 0
                || Long.compareUnsigned(after.idleTicks, before.idleTicks) < 0
                || Long.compareUnsigned(after.agentTicks, before.agentTicks) < 0) {
            return Optional.empty();
        }
        long total = after.totalTicks - before.totalTicks;
        long idle = after.idleTicks - before.idleTicks;
        long agent = after.agentTicks - before.agentTicks;
        // a growth of 2^63 ticks or more (negative as a long) is no real window either
        if (total < 0 || idle < 0 || agent < 0 || idle > total) {
            return Optional.empty();
        }
        return Optional.of(new Window(total, idle, agent));
    }
}
