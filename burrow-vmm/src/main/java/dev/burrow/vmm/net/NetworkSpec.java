package dev.burrow.vmm.net;

import dev.burrow.vmm.net.internal.Ipv4Range;
import java.util.List;
import java.util.Objects;

/**
 * What one restore's network is (SPEC §6): the mode, the ports on the path's host address where
 * the daemon answers the guest's DNS and, in {@link Mode#ALLOWLIST}, takes its HTTP and TLS, and
 * the ranges an {@link Mode#INTERNET} guest may not reach (the engine adds its own range). Every
 * default is here.
 *
 * @param mode          NONE: no path, the NIC's link down; INTERNET: outbound NAT; ALLOWLIST: only DNS, 80 and 443, each to the daemon
 * @param dnsPort       where the guest's DNS (udp and tcp 53, to any address) is sent on the host address
 * @param httpPort      where ALLOWLIST sends the guest's tcp 80
 * @param tlsPort       where ALLOWLIST sends the guest's tcp 443
 * @param blockedRanges IPv4 ranges (a.b.c.d/n) an INTERNET guest's traffic to is dropped
 */
public record NetworkSpec(Mode mode, int dnsPort, int httpPort, int tlsPort, List<String> blockedRanges) {

    public enum Mode { NONE, INTERNET, ALLOWLIST }

    public static final int DEFAULT_DNS_PORT = 10053;
    public static final int DEFAULT_HTTP_PORT = 10080;
    public static final int DEFAULT_TLS_PORT = 10443;
    /**
     * Never reachable from an INTERNET guest: "this network", private, shared (CGNAT), loopback,
     * link-local (cloud metadata), multicast and reserved space. The host's own resolver may be in
     * one of them: the guest's DNS goes to the daemon, which forwards it.
     */
    public static final List<String> DEFAULT_BLOCKED_RANGES = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10",
            "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4");
    /** The most blocked ranges a spec may carry: each is one element of a set in the ruleset. */
    public static final int MAX_BLOCKED_RANGES = 256;

    /** No network: no path, no namespace of its own beyond the jail's empty one. */
    public static final NetworkSpec NONE = new NetworkSpec(Mode.NONE, DEFAULT_DNS_PORT, DEFAULT_HTTP_PORT, DEFAULT_TLS_PORT,
            DEFAULT_BLOCKED_RANGES);

    public NetworkSpec {
        Objects.requireNonNull(mode, "mode");
        blockedRanges = List.copyOf(blockedRanges);
        checkPort("dnsPort", dnsPort);
        checkPort("httpPort", httpPort);
        checkPort("tlsPort", tlsPort);
        if (blockedRanges.size() > MAX_BLOCKED_RANGES) {
            throw new IllegalArgumentException("at most " + MAX_BLOCKED_RANGES + " blocked ranges: " + blockedRanges.size());
        }
        blockedRanges.forEach(Ipv4Range::parse); // throws naming the one that is not a range
    }

    /** Outbound NAT with the default ports and blocked ranges. */
    public static NetworkSpec internet() {
        return new NetworkSpec(Mode.INTERNET, DEFAULT_DNS_PORT, DEFAULT_HTTP_PORT, DEFAULT_TLS_PORT, DEFAULT_BLOCKED_RANGES);
    }

    /** DNS, 80 and 443 to the daemon only, with the default ports. */
    public static NetworkSpec allowlist() {
        return new NetworkSpec(Mode.ALLOWLIST, DEFAULT_DNS_PORT, DEFAULT_HTTP_PORT, DEFAULT_TLS_PORT, DEFAULT_BLOCKED_RANGES);
    }

    public NetworkSpec withPorts(int dns, int http, int tls) {
        return new NetworkSpec(mode, dns, http, tls, blockedRanges);
    }

    public NetworkSpec withBlockedRanges(List<String> ranges) {
        return new NetworkSpec(mode, dnsPort, httpPort, tlsPort, ranges);
    }

    /** Whether this restore gets a path (a namespace, a veth to the host, a tap). */
    public boolean hasPath() {
        return mode != Mode.NONE;
    }

    private static void checkPort(String name, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " must be 1..65535: " + port);
        }
    }
}
