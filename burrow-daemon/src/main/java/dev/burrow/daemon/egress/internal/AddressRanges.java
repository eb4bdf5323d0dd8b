package dev.burrow.daemon.egress.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** IPv4 CIDR ranges (the blocked destinations); every IPv6 address counts as blocked (egress is IPv4 only). */
public final class AddressRanges {

    private final List<int[]> ranges; // {network, mask}

    private AddressRanges(List<int[]> ranges) {
        this.ranges = ranges;
    }

    /** Parses {@code a.b.c.d/n} entries; throws IllegalArgumentException naming the first bad one. */
    public static AddressRanges parse(List<String> cidrs) {
        List<int[]> out = new ArrayList<>();
        for (String c : cidrs) {
            out.add(parseOne(c));
        }
        return new AddressRanges(List.copyOf(out));
    }

    private static int[] parseOne(String cidr) {
        String bad = "a blocked range must be an IPv4 CIDR like 10.0.0.0/8; got '" + Names.printable(cidr) + "'";
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(bad);
        }
        String[] parts = cidr.substring(0, slash).split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException(bad);
        }
        int addr = 0;
        int bits;
        try {
            for (String p : parts) {
                int v = Integer.parseInt(p);
                if (v < 0 || v > 255 || p.length() > 3) {
                    throw new IllegalArgumentException(bad);
                }
                addr = (addr << 8) | v;
            }
            bits = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad);
        }
        if (bits < 0 || bits > 32) {
            throw new IllegalArgumentException(bad);
        }
        int mask = bits == 0 ? 0 : -1 << (32 - bits);
        return new int[] {addr & mask, mask};
    }

    public boolean blocks(InetAddress a) {
        if (!(a instanceof Inet4Address)) {
            return true;
        }
        byte[] b = a.getAddress();
        int v = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        for (int[] r : ranges) {
            if ((v & r[1]) == r[0]) {
                return true;
            }
        }
        return false;
    }
}
