package dev.burrow.oci;

import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A content digest. Only {@code sha256} is accepted: every other algorithm is refused when
 * parsed, so a digest that exists is one Burrow can verify. The hex part is validated strictly
 * (64 lowercase hex characters), which also makes it safe to use as a file name.
 */
public record Digest(String hex) implements Comparable<Digest> {
    public static final String ALGORITHM = "sha256";
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern ALGORITHM_SYNTAX = Pattern.compile("[a-z0-9]+([+._-][a-z0-9]+)*");

    public Digest {
        Objects.requireNonNull(hex, "hex");
        if (!HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a sha256 hex digest: '" + abbreviate(hex) + "'");
        }
    }

    /** Parses {@code sha256:<64 hex>}; any other algorithm or shape is an {@link ImageException}. */
    public static Digest parse(String text) throws ImageException {
        if (text == null) {
            throw new ImageException("missing digest");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new ImageException("malformed digest '" + abbreviate(text) + "' (expected sha256:<hex>)");
        }
        String algorithm = text.substring(0, colon);
        String hex = text.substring(colon + 1);
        if (!algorithm.equals(ALGORITHM)) {
            if (ALGORITHM_SYNTAX.matcher(algorithm).matches()) {
                throw new ImageException("unsupported digest algorithm '" + abbreviate(algorithm) + "' in '"
                        + abbreviate(text) + "'; Burrow verifies sha256 digests only");
            }
            throw new ImageException("malformed digest '" + abbreviate(text) + "' (expected sha256:<hex>)");
        }
        if (!HEX.matcher(hex).matches()) {
            throw new ImageException("malformed sha256 digest '" + abbreviate(text) + "' (expected 64 lowercase hex digits)");
        }
        return new Digest(hex);
    }

    public static Digest of(byte[] sha256) {
        if (sha256.length != 32) {
            throw new IllegalArgumentException("a sha256 digest is 32 bytes, got " + sha256.length);
        }
        return new Digest(HexFormat.of().formatHex(sha256));
    }

    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return ALGORITHM + ":" + hex;
    }

    @Override
    public int compareTo(Digest o) {
        return hex.compareTo(o.hex);
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }
}
