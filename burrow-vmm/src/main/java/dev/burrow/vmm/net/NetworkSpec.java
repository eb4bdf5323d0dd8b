package dev.burrow.vmm.net;

import java.util.List;
import java.util.Objects;

/**
 * STAND-IN (netd branch, until the netvmm branch is merged; the lead keeps netvmm's version):
 * how a restored microVM is networked (issue 10, contract 3). {@code dnsPort}, {@code httpPort}
 * and {@code tlsPort} are where the daemon listens on the path's host address; the engine's
 * nftables send the guest's DNS there (every mode with a network) and, in ALLOWLIST, its tcp 80
 * and 443. {@code blockedRanges} (CIDRs) are never reachable from the guest.
 */
public record NetworkSpec(Mode mode, int dnsPort, int httpPort, int tlsPort, List<String> blockedRanges) {

    /** NONE: no link at all; INTERNET: outbound NAT; ALLOWLIST: only DNS and 80/443 through the daemon. */
    public enum Mode { NONE, INTERNET, ALLOWLIST }

    public static final NetworkSpec NONE = new NetworkSpec(Mode.NONE, 0, 0, 0, List.of());

    public NetworkSpec {
        Objects.requireNonNull(mode, "mode");
        blockedRanges = List.copyOf(blockedRanges);
    }
}
