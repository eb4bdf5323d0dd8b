package dev.burrow.daemon.egress;

import dev.burrow.daemon.egress.internal.AddressRanges;
import dev.burrow.vmm.net.NetworkSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Egress settings, every default here (SPEC §6, docs/egress.md).
 *
 * @param dnsPort           where the guest's DNS is answered on its path's host address (udp and tcp)
 * @param httpPort          the allowlist proxy's port for the guest's tcp 80
 * @param tlsPort           the allowlist proxy's port for the guest's tcp 443
 * @param blockedRanges     IPv4 CIDRs no guest reaches (the engine drops them; the proxy never connects there)
 * @param upstreams         resolvers that DNS is forwarded to (default: the host's /etc/resolv.conf nameservers)
 * @param upstreamTimeout   how long one upstream may take to answer
 * @param dnsPerSecond      queries a microVM may send a second (more are dropped) …
 * @param dnsBurst          … with this many saved up
 * @param dnsInFlight       queries of one microVM being forwarded at once (more are dropped)
 * @param maxConnections    proxied connections (and DNS over TCP) open at once per microVM
 * @param maxPrefixBytes    the most a guest may send before its name is known (HTTP head, ClientHello)
 * @param prefixTimeout     how long it has to send it
 * @param connectTimeout    how long a connection to an allowed server may take
 * @param idleTimeout       a proxied connection quiet both ways this long is closed
 * @param bufferBytes       each direction's splice buffer
 * @param decisionsKept     decisions kept per microVM (the newest)
 */
public record EgressSettings(int dnsPort, int httpPort, int tlsPort, List<String> blockedRanges, List<InetSocketAddress> upstreams,
                             Duration upstreamTimeout, int dnsPerSecond, int dnsBurst, int dnsInFlight, int maxConnections,
                             int maxPrefixBytes, Duration prefixTimeout, Duration connectTimeout, Duration idleTimeout,
                             int bufferBytes, int decisionsKept) {

    /** What no guest may reach (the engine's list: this host's and private networks, link-local, multicast). */
    public static final List<String> DEFAULT_BLOCKED_RANGES = NetworkSpec.DEFAULT_BLOCKED_RANGES;
    public static final int DEFAULT_DNS_PORT = NetworkSpec.DEFAULT_DNS_PORT;
    public static final int DEFAULT_HTTP_PORT = NetworkSpec.DEFAULT_HTTP_PORT;
    public static final int DEFAULT_TLS_PORT = NetworkSpec.DEFAULT_TLS_PORT;
    public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    public static final int DNS_PORT = 53;

    public static final EgressSettings DEFAULTS = new EgressSettings(DEFAULT_DNS_PORT, DEFAULT_HTTP_PORT, DEFAULT_TLS_PORT,
            DEFAULT_BLOCKED_RANGES, List.of(), Duration.ofSeconds(3), 50, 200, 32, 64, 16 * 1024, Duration.ofSeconds(10),
            Duration.ofSeconds(10), Duration.ofMinutes(5), 16 * 1024, 1000);

    public EgressSettings {
        blockedRanges = List.copyOf(blockedRanges);
        upstreams = List.copyOf(upstreams);
        AddressRanges.parse(blockedRanges); // throws naming a bad one
        for (int p : new int[] {dnsPort, httpPort, tlsPort}) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("egress ports must be 1..65535; got " + p);
            }
        }
        if (decisionsKept < 1 || maxConnections < 1 || dnsInFlight < 1 || bufferBytes < 512 || maxPrefixBytes < 512) {
            throw new IllegalArgumentException("egress limits must be positive (buffers at least 512 bytes)");
        }
    }

    public EgressSettings withUpstreams(List<InetSocketAddress> u) {
        return new EgressSettings(dnsPort, httpPort, tlsPort, blockedRanges, u, upstreamTimeout, dnsPerSecond, dnsBurst, dnsInFlight,
                maxConnections, maxPrefixBytes, prefixTimeout, connectTimeout, idleTimeout, bufferBytes, decisionsKept);
    }

    public EgressSettings withBlockedRanges(List<String> b) {
        return new EgressSettings(dnsPort, httpPort, tlsPort, b, upstreams, upstreamTimeout, dnsPerSecond, dnsBurst, dnsInFlight,
                maxConnections, maxPrefixBytes, prefixTimeout, connectTimeout, idleTimeout, bufferBytes, decisionsKept);
    }

    public EgressSettings withPorts(int dns, int http, int tls) {
        return new EgressSettings(dns, http, tls, blockedRanges, upstreams, upstreamTimeout, dnsPerSecond, dnsBurst, dnsInFlight,
                maxConnections, maxPrefixBytes, prefixTimeout, connectTimeout, idleTimeout, bufferBytes, decisionsKept);
    }

    public EgressSettings withRate(int perSecond, int burst) {
        return new EgressSettings(dnsPort, httpPort, tlsPort, blockedRanges, upstreams, upstreamTimeout, perSecond, burst, dnsInFlight,
                maxConnections, maxPrefixBytes, prefixTimeout, connectTimeout, idleTimeout, bufferBytes, decisionsKept);
    }

    public EgressSettings withLimits(int connections, Duration prefix, Duration idle, int kept) {
        return new EgressSettings(dnsPort, httpPort, tlsPort, blockedRanges, upstreams, upstreamTimeout, dnsPerSecond, dnsBurst, dnsInFlight,
                connections, maxPrefixBytes, prefix, connectTimeout, idle, bufferBytes, kept);
    }

    /**
     * BURROW_EGRESS_DNS_UPSTREAMS (comma-separated {@code host[:port]}; default the host's
     * resolv.conf nameservers), BURROW_EGRESS_BLOCKED_RANGES (comma-separated CIDRs, replacing
     * the default list), BURROW_EGRESS_PORTS ({@code dns,http,tls}).
     */
    public static EgressSettings fromEnvironment(Map<String, String> env) {
        EgressSettings s = DEFAULTS;
        String up = env.get("BURROW_EGRESS_DNS_UPSTREAMS");
        s = s.withUpstreams(up == null || up.isBlank() ? resolvConf(RESOLV_CONF) : hostPorts("BURROW_EGRESS_DNS_UPSTREAMS", up));
        String blocked = env.get("BURROW_EGRESS_BLOCKED_RANGES");
        if (blocked != null && !blocked.isBlank()) {
            s = s.withBlockedRanges(Arrays.stream(blocked.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList());
        }
        String ports = env.get("BURROW_EGRESS_PORTS");
        if (ports != null && !ports.isBlank()) {
            String[] p = ports.split(",");
            try {
                if (p.length != 3) {
                    throw new NumberFormatException();
                }
                s = s.withPorts(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()), Integer.parseInt(p[2].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("BURROW_EGRESS_PORTS must be dns,http,tls port numbers, e.g. 10053,10080,10443; got '"
                        + ports + "'");
            }
        }
        return s;
    }

    /** The IPv4 nameservers of a resolv.conf (port 53); none when it cannot be read. */
    public static List<InetSocketAddress> resolvConf(Path file) {
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] w = line.strip().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver") && w[1].matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                    out.add(new InetSocketAddress(w[1], DNS_PORT));
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    static List<InetSocketAddress> hostPorts(String name, String value) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String e : value.split(",")) {
            String v = e.strip();
            int colon = v.lastIndexOf(':');
            try {
                out.add(colon < 0 ? new InetSocketAddress(v, DNS_PORT)
                        : new InetSocketAddress(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1))));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(name + " must be comma-separated host[:port] entries; got '" + v + "'");
            }
        }
        return out;
    }
}
