package dev.burrow.vmm.net.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An IPv4 range in CIDR notation, carved into blocks of {@link #BLOCK} addresses: one per
 * microVM, two /30 links each (host ⇄ namespace, namespace ⇄ guest).
 */
public record Ipv4Block(int base, int prefix) {

    /** Addresses per microVM: a /29. */
    public static final int BLOCK = 8;
    /** The longest prefix that still holds one block. */
    public static final int MAX_PREFIX = 29;
    private static final Pattern CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    public Ipv4Block {
        if (prefix < 8 || prefix > MAX_PREFIX) {
            throw new IllegalArgumentException("prefix must be 8..29: /" + prefix);
        }
        if ((base & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException(dotted(base) + "/" + prefix + " has host bits set");
        }
    }

    public static Ipv4Block parse(String cidr) {
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
        return new Ipv4Block(base, Integer.parseInt(m.group(5)));
    }

    /** How many microVM blocks the range holds. */
    public int slots() {
        return 1 << (32 - prefix) - 3;
    }

    /** The {@code offset}-th address (0..7) of block {@code slot}, dotted. */
    public String address(int slot, int offset) {
        if (slot < 0 || slot >= slots() || offset < 0 || offset >= BLOCK) {
            throw new IllegalArgumentException("slot " + slot + " offset " + offset + " is outside " + this);
        }
        return dotted(base + slot * BLOCK + offset);
    }

    private static int mask(int prefix) {
        return (int) (0xFFFFFFFFL << (32 - prefix));
    }

    private static String dotted(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xFF) + "." + (a >>> 8 & 0xFF) + "." + (a & 0xFF);
    }

    @Override
    public String toString() {
        return dotted(base) + "/" + prefix;
    }
}
