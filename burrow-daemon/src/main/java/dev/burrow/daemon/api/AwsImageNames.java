package dev.burrow.daemon.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * AWS image names ({@code [a-zA-Z0-9-_]{1,64}}, case-sensitive) onto Burrow's
 * ({@code [a-z0-9][a-z0-9._-]{0,62}}, SPEC §0). A name that already is a Burrow name is itself,
 * so both doors see {@code my-app} as {@code my-app}; any other ({@code MyImage}, {@code _x}, 64
 * characters) becomes its lower-cased stem, a dot and a hash of the exact name
 * ({@code myimage.3f2a…}): AWS names have no dot, so the two forms never meet, and {@code MyImage}
 * and {@code myimage} stay two images as on AWS. The caller's spelling is kept beside each version
 * and answered back (ADR "AWS image names").
 */
final class AwsImageNames {

    /** The model's ImageName. */
    static final Pattern AWS_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    static final int MAX_AWS_NAME = 64;
    /** How much of the stem a mapped name keeps, and how many hex digits of the hash follow it: 50 + 1 + 12 = 63. */
    private static final int STEM_CHARS = 50;
    private static final int HASH_HEX = 12;
    private static final Pattern LEADING = Pattern.compile("^[^a-z0-9]+");

    private AwsImageNames() {}

    /** The Burrow image an AWS name (or a Burrow name given as the identifier) stands for. */
    static String toBurrow(String name) {
        if (ImageRoutes.IMAGE_NAME.matcher(name).matches()) {
            return name;
        }
        String stem = LEADING.matcher(name.toLowerCase(Locale.ROOT)).replaceFirst("");
        stem = stem.isEmpty() ? "image" : stem.substring(0, Math.min(STEM_CHARS, stem.length()));
        return stem + "." + hash(name);
    }

    private static String hash(String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, HASH_HEX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
