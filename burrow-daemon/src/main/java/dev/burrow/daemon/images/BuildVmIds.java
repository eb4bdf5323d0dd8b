package dev.burrow.daemon.images;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Engine ids of the microVMs a build boots: {@code <prefix>-<hash>-<version>-<image>}, cut to a
 * length. The hash covers tenant, image and version, so two tenants' builds of the same image
 * name never share an id; the rest is for people reading logs.
 */
public final class BuildVmIds {
    /** Hex digits of the tenant-scoped hash. */
    private static final int HASH_HEX = 12;

    private BuildVmIds() {
    }

    public static String of(String prefix, String tenant, String image, int version, int maxLength) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] h = md.digest((tenant + "\0" + image + "\0" + version).getBytes(StandardCharsets.UTF_8));
        String id = prefix + "-" + HexFormat.of().formatHex(h).substring(0, HASH_HEX) + "-" + version + "-"
                + image.replaceAll("[^a-z0-9]", "-");
        id = id.length() > maxLength ? id.substring(0, maxLength) : id;
        return id.replaceAll("-+$", "");
    }
}
