package dev.burrow.daemon.images.builtin;

import dev.burrow.daemon.aws.Arns;
import dev.burrow.oci.ImageConfig;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One managed base image (SPEC §8): a root file system Burrow makes itself, which every tenant
 * can build {@code FROM} by its bare name and, in the development profile, run as a public image
 * of the admin tenant.
 *
 * @param name the image name (and the last part of its AWS ARN, see {@link #arn(String)})
 * @param description one line for listings and docs
 * @param recipeVersion bumped whenever the recipe changes what the image holds: cached layouts and
 *     daemon-built versions of older recipes are replaced
 * @param kind how the root is made
 * @param debianPackages what debootstrap {@code --include}s on top of Debian minbase (empty for
 *     {@link Kind#BUSYBOX})
 * @param config the image's runtime config
 */
public record ManagedBase(String name, String description, int recipeVersion, Kind kind, List<String> debianPackages,
                          ImageConfig config) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final Pattern REGION = Pattern.compile("[a-z0-9-]{1,32}");

    /** How a base's root file system is made. */
    public enum Kind {
        /** From the host's static busybox, offline and deterministic. */
        BUSYBOX,
        /** With debootstrap from a Debian mirror. */
        DEBIAN
    }

    public ManagedBase {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(config, "config");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a managed base name: '" + name + "'");
        }
        if (recipeVersion < 1) {
            throw new IllegalArgumentException("a recipe version starts at 1");
        }
        debianPackages = List.copyOf(debianPackages);
        if ((kind == Kind.DEBIAN) == debianPackages.isEmpty()) {
            throw new IllegalArgumentException(kind == Kind.DEBIAN ? "a Debian base names its packages"
                    : "a busybox base has no Debian packages");
        }
    }

    /** The base's AWS ARN in {@code region}: {@code arn:aws:lambda:<region>:aws:microvm-image:<name>}. */
    public String arn(String region) {
        if (region == null || !REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("not a region name: '" + region + "'");
        }
        return Arns.managedImage(region, name);
    }

    /**
     * What a daemon-built version of this base records as its origin: the recipe and its version.
     * A version built from another stamp (or with another guest agent) is outdated.
     */
    public String stamp() {
        return name + "/r" + recipeVersion;
    }
}
