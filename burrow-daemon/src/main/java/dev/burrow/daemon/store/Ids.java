package dev.burrow.daemon.store;

import java.security.SecureRandom;

/**
 * Resource ids: a short prefix plus a lowercase ULID (48-bit millisecond time, 80 random bits,
 * Crockford base32), so ids are {@code [a-z0-9]}, DNS-label safe and roughly creation-ordered.
 */
public final class Ids {

    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    public static String newId(String prefix) {
        char[] out = new char[26];
        long time = System.currentTimeMillis();
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        byte[] rnd = new byte[10];
        RANDOM.nextBytes(rnd);
        // 80 bits -> 16 characters of 5 bits each
        long hi = 0;
        for (int i = 0; i < 5; i++) {
            hi = (hi << 8) | (rnd[i] & 0xff);
        }
        long lo = 0;
        for (int i = 5; i < 10; i++) {
            lo = (lo << 8) | (rnd[i] & 0xff);
        }
        for (int i = 17; i >= 10; i--) {
            out[i] = ALPHABET[(int) (hi & 31)];
            hi >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            out[i] = ALPHABET[(int) (lo & 31)];
            lo >>>= 5;
        }
        return prefix + new String(out);
    }
}
