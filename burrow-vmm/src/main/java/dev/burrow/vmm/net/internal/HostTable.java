package dev.burrow.vmm.net.internal;

import java.util.List;

/**
 * The host's nftables table of one engine instance ({@code inet burrow-<instance>}): the walls
 * around every path's host link. The instance's host links carry interface group {@code group},
 * so two instances' tables never judge each other's links. Base chains accept by default and
 * drop only traffic of the instance's links: a drop in any table is final, and the host's other
 * traffic is not Burrow's to judge.
 * <ul>
 * <li>input from a path's link: replies, and new flows to a path's host address on the ports
 * in set {@code ports} (where the daemon answers DNS and proxies); nothing else of the host.</li>
 * <li>forward: nothing from one microVM's link into any {@code bnet*} link (microVM to
 * microVM, of any instance); into the instance's links only replies; from the range out of
 * other links, masqueraded (INTERNET: the host forwards only when an INTERNET path exists).</li>
 * </ul>
 */
public record HostTable(String name, int group, String range, String linkPattern) {

    public String create() {
        String g = Integer.toString(group);
        return String.join("\n",
                "table inet " + name + " {",
                "\tset ports {",
                "\t\ttype inet_proto . inet_service",
                "\t}",
                "",
                "\tchain input {",
                "\t\ttype filter hook input priority filter; policy accept;",
                "\t\tiifgroup " + g + " ct state established,related accept",
                "\t\tiifgroup " + g + " ct state new ip daddr " + range + " meta l4proto . th dport @ports accept",
                "\t\tiifgroup " + g + " drop",
                "\t}",
                "",
                "\tchain forward {",
                "\t\ttype filter hook forward priority filter; policy accept;",
                "\t\tiifgroup " + g + " oifname \"" + linkPattern + "\" drop",
                "\t\tiifgroup " + g + " meta nfproto ipv6 drop",
                "\t\toifgroup " + g + " ct state established,related accept",
                "\t\toifgroup " + g + " drop",
                "\t}",
                "",
                "\tchain postrouting {",
                "\t\ttype nat hook postrouting priority srcnat; policy accept;",
                "\t\tip saddr " + range + " oifname != \"" + linkPattern + "\" masquerade",
                "\t}",
                "}",
                "");
    }

    /** Lets new flows from the instance's links reach these {@code proto . port}s of a host address (idempotent). */
    public String addPorts(List<String> ports) {
        return "add element inet " + name + " ports { " + String.join(", ", ports) + " }\n";
    }

    public static String delete(String name) {
        return "delete table inet " + name + "\n";
    }
}
