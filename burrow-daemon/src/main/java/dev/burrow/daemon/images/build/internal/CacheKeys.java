package dev.burrow.daemon.images.build.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Cache keys of build steps: {@code sha256(parent key, step text, inputs hash)}, each part
 * length-prefixed so no two different triples hash alike. The first step's parent is the base
 * image's manifest digest, so a changed base, a changed step or a changed COPY input gives a new
 * key for that step and every step after it.
 */
public final class CacheKeys {
    /** The parent of a stage built on nothing ({@code FROM scratch}). */
    public static final String SCRATCH = "scratch";

    private CacheKeys() {
    }

    /** The key of a step; {@code inputs} is null for steps with no file inputs (RUN, ENV, …). */
    public static String step(String parent, String text, String inputs) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        part(md, parent);
        part(md, text);
        part(md, inputs == null ? "" : inputs);
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    private static void part(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
        md.update(b);
    }
}
