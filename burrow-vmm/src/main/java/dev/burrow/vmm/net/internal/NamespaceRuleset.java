package dev.burrow.vmm.net.internal;

import java.util.List;

/**
 * The nftables table inside one microVM's network namespace, loaded atomically with
 * {@code nft -f -} (the first two lines make the load replace a table of the same name whole).
 * The guest's link is {@code tap}, the host's {@code veth}; nothing else is in the namespace.
 * <ul>
 * <li>The guest's DNS (udp and tcp 53, to any address) goes to {@code host:dnsPort}; in
 * ALLOWLIST tcp 80 to {@code host:httpPort} and 443 to {@code host:tlsPort}.</li>
 * <li>Forwarding from the tap: only from the guest's own address; the DNAT'd flows to the host
 * address; in INTERNET everything else except the blocked ranges (masqueraded out of the veth);
 * in ALLOWLIST nothing else. IPv6 and anything not listed is dropped (policy drop).</li>
 * <li>Into the tap: replies only, unless the benchmark lets the host connect.</li>
 * <li>Nothing reaches the namespace itself but loopback and replies.</li>
 * </ul>
 *
 * @param internet     INTERNET (true) or ALLOWLIST (false)
 * @param blocked      ranges (a.b.c.d/n) an INTERNET guest may not reach; includes the engine's own range
 * @param hostConnects the benchmark: the host address may open connections to the guest
 */
public record NamespaceRuleset(String table, String tap, String veth, String hostAddress, String guestAddress, boolean internet,
                               int dnsPort, int httpPort, int tlsPort, List<String> blocked, boolean hostConnects) {

    public NamespaceRuleset {
        blocked = List.copyOf(blocked);
    }

    public String render() {
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(table).append('\n');
        s.append("delete table inet ").append(table).append('\n');
        s.append("table inet ").append(table).append(" {\n");
        if (internet) {
            s.append("\tset blocked {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { ")
                    .append(String.join(", ", blocked)).append(" }\n\t}\n\n");
        }
        s.append("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        dnat(s, "udp", 53, dnsPort);
        dnat(s, "tcp", 53, dnsPort);
        if (!internet) {
            dnat(s, "tcp", 80, httpPort);
            dnat(s, "tcp", 443, tlsPort);
        }
        s.append("\t}\n\n");
        s.append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n");
        s.append("\t\tmeta nfproto ipv6 drop\n");
        s.append("\t\tct state invalid drop\n");
        s.append("\t\tct state established,related accept\n");
        s.append("\t\tiifname \"").append(tap).append("\" ip saddr != ").append(guestAddress).append(" drop\n");
        s.append("\t\tiifname \"").append(tap).append("\" oifname \"").append(veth).append("\" ct status dnat ip daddr ")
                .append(hostAddress).append(" meta l4proto . th dport { ").append(String.join(", ", daemonPorts())).append(" } accept\n");
        if (internet) {
            s.append("\t\tiifname \"").append(tap).append("\" oifname \"").append(veth).append("\" ip daddr @blocked drop\n");
            s.append("\t\tiifname \"").append(tap).append("\" oifname \"").append(veth).append("\" accept\n");
        }
        if (hostConnects) {
            s.append("\t\tiifname \"").append(veth).append("\" oifname \"").append(tap).append("\" ip saddr ").append(hostAddress)
                    .append(" ip daddr ").append(guestAddress).append(" accept\n");
        }
        s.append("\t}\n\n");
        s.append("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n");
        s.append("\t\tiifname \"lo\" accept\n");
        s.append("\t\tct state established,related accept\n");
        s.append("\t}\n");
        if (internet) {
            s.append("\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
            s.append("\t\toifname \"").append(veth).append("\" ip saddr ").append(guestAddress).append(" ip daddr != ")
                    .append(hostAddress).append(" masquerade\n");
            s.append("\t}\n");
        }
        s.append("}\n");
        return s.toString();
    }

    /** The host address's ports the guest's flows may reach after DNAT, as {@code proto . port} elements. */
    public List<String> daemonPorts() {
        return internet ? List.of("udp . " + dnsPort, "tcp . " + dnsPort)
                : List.of("udp . " + dnsPort, "tcp . " + dnsPort, "tcp . " + httpPort, "tcp . " + tlsPort);
    }

    private void dnat(StringBuilder s, String proto, int port, int to) {
        s.append("\t\tiifname \"").append(tap).append("\" meta nfproto ipv4 ").append(proto).append(" dport ").append(port)
                .append(" dnat ip to ").append(hostAddress).append(':').append(to).append('\n');
    }
}
