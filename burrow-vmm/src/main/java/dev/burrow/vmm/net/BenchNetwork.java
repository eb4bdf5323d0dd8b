package dev.burrow.vmm.net;

import dev.burrow.vmm.net.internal.Ipv4Block;
import java.time.Duration;
import java.util.Objects;

/**
 * The benchmark network path's settings, every default here. Off unless an engine is given
 * them ({@code QemuHypervisor.benchNetwork}); no API turns it on.
 *
 * @param range          where the per-microVM /29 blocks come from; must not overlap a network the host uses
 * @param maxProbes      how many blocks a new path tries before giving up (a block is taken when its host link exists)
 * @param commandTimeout the longest one {@code ip} command may take
 * @param guestTimeout   the longest the guest's own address setup (an exec) may take
 */
public record BenchNetwork(String range, int maxProbes, Duration commandTimeout, Duration guestTimeout) {

    public static final String DEFAULT_RANGE = "10.250.0.0/16";
    public static final int DEFAULT_MAX_PROBES = 64;
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_GUEST_TIMEOUT = Duration.ofSeconds(30);

    public BenchNetwork {
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(guestTimeout, "guestTimeout");
        Ipv4Block.parse(range); // throws naming the range
        if (maxProbes < 1) {
            throw new IllegalArgumentException("maxProbes must be at least 1: " + maxProbes);
        }
    }

    public static BenchNetwork defaults() {
        return new BenchNetwork(DEFAULT_RANGE, DEFAULT_MAX_PROBES, DEFAULT_COMMAND_TIMEOUT, DEFAULT_GUEST_TIMEOUT);
    }

    public BenchNetwork withRange(String value) {
        return new BenchNetwork(value, maxProbes, commandTimeout, guestTimeout);
    }

    Ipv4Block block() {
        return Ipv4Block.parse(range);
    }
}
