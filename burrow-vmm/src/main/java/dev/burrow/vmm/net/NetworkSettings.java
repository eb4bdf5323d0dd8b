package dev.burrow.vmm.net;

import dev.burrow.vmm.net.internal.Ipv4Block;
import java.time.Duration;
import java.util.Objects;

/**
 * How an engine makes network paths, every default here (one instance's; NetworkSpec is one
 * restore's).
 *
 * @param range          where the per-microVM /29 blocks come from; must not overlap a network the host uses. Always blocked for guests.
 * @param maxProbes      how many blocks a new path tries before giving up (a block is taken when its host link exists)
 * @param commandTimeout the longest one {@code ip} or {@code nft} command may take
 * @param guestTimeout   the longest the guest's own address setup (an exec) may take
 * @param hostConnects   the benchmark's path: the host may open connections to the guest (never in the product)
 */
public record NetworkSettings(String range, int maxProbes, Duration commandTimeout, Duration guestTimeout, boolean hostConnects) {

    public static final String DEFAULT_RANGE = "10.250.0.0/16";
    public static final int DEFAULT_MAX_PROBES = 64;
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_GUEST_TIMEOUT = Duration.ofSeconds(30);

    public NetworkSettings {
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(guestTimeout, "guestTimeout");
        Ipv4Block.parse(range); // throws naming the range
        if (maxProbes < 1) {
            throw new IllegalArgumentException("maxProbes must be at least 1: " + maxProbes);
        }
    }

    public static NetworkSettings defaults() {
        return new NetworkSettings(DEFAULT_RANGE, DEFAULT_MAX_PROBES, DEFAULT_COMMAND_TIMEOUT, DEFAULT_GUEST_TIMEOUT, false);
    }

    public NetworkSettings withRange(String value) {
        return new NetworkSettings(value, maxProbes, commandTimeout, guestTimeout, hostConnects);
    }

    /** The benchmark's settings: the host may connect to the guest over the path (docs/adr/0016-bench-network-path.md). */
    public NetworkSettings withHostConnects(boolean value) {
        return new NetworkSettings(range, maxProbes, commandTimeout, guestTimeout, value);
    }

    Ipv4Block block() {
        return Ipv4Block.parse(range);
    }
}
