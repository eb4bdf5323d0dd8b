package dev.burrow.vmm.qemu;

import java.security.SecureRandom;

/** microVM ids: "vm" + 10 characters of milliseconds + 14 random, Crockford base 32, lowercase (a DNS label, sortable by creation). */
final class VmIds {

    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private VmIds() {}

    static String next() {
        char[] out = new char[24];
        long time = System.currentTimeMillis();
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        for (int i = 10; i < 24; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(32)];
        }
        return "vm" + new String(out);
    }
}
