package dev.burrow.vmm.net.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 range in CIDR notation, any prefix 0..32, its host bits zero: what a ruleset names. */
public record Ipv4Range(int base, int prefix) {

    private static final Pattern CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    public Ipv4Range {
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix must be 0..32: /" + prefix);
        }
        if ((base & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException(dotted(base) + "/" + prefix + " has host bits set");
        }
    }

    /** Parses {@code a.b.c.d/n}; throws naming the text when it is not one. */
    public static Ipv4Range parse(String cidr) {
        Matcher m = CIDR.matcher(cidr);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an IPv4 range a.b.c.d/n: " + cidr);
        }
        int base = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 range a.b.c.d/n: " + cidr);
            }
            base = base << 8 | octet;
        }
        return new Ipv4Range(base, Integer.parseInt(m.group(5)));
    }

    static int mask(int prefix) {
        return prefix == 0 ? 0 : (int) (0xFFFFFFFFL << (32 - prefix));
    }

    static String dotted(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xFF) + "." + (a >>> 8 & 0xFF) + "." + (a & 0xFF);
    }

    @Override
    public String toString() {
        return dotted(base) + "/" + prefix;
    }
}
