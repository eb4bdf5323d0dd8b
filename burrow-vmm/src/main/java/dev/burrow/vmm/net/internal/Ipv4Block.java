package dev.burrow.vmm.net.internal;

/**
 * An IPv4 range in CIDR notation, carved into blocks of {@link #BLOCK} addresses: one per
 * microVM, two /30 links each (host ⇄ namespace, namespace ⇄ guest).
 */
public record Ipv4Block(int base, int prefix) {

    /** Addresses per microVM: a /29. */
    public static final int BLOCK = 8;
    /** The longest prefix that still holds one block. */
    public static final int MAX_PREFIX = 29;

    public Ipv4Block {
        if (prefix < 8 || prefix > MAX_PREFIX) {
            throw new IllegalArgumentException("prefix must be 8..29: /" + prefix);
        }
        new Ipv4Range(base, prefix); // throws when host bits are set
    }

    public static Ipv4Block parse(String cidr) {
        Ipv4Range r = Ipv4Range.parse(cidr);
        return new Ipv4Block(r.base(), r.prefix());
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
        return Ipv4Range.dotted(base + slot * BLOCK + offset);
    }

    @Override
    public String toString() {
        return new Ipv4Range(base, prefix).toString();
    }
}
