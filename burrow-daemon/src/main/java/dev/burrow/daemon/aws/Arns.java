package dev.burrow.daemon.aws;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ARNs of the door (SPEC §8): a tenant's image
 * {@code arn:aws:lambda:<region>:<account>:microvm-image:<name>} and a managed base
 * {@code arn:aws:lambda:<region>:aws:microvm-image:<base>}. Any region parses: Burrow answers in
 * the caller's.
 */
public final class Arns {

    /** The account part of a managed image's ARN. */
    public static final String MANAGED_ACCOUNT = "aws";
    private static final Pattern IMAGE = Pattern.compile("arn:aws:lambda:([a-z0-9-]*):([a-z0-9]+):microvm-image:([^:/\\s]+)");

    /** A parsed image ARN; {@code managed} when its account is {@code aws}. */
    public record ImageArn(String region, String account, String name) {
        public boolean managed() {
            return MANAGED_ACCOUNT.equals(account);
        }
    }

    /** What an {@code imageIdentifier} names: an image of the caller's, or a managed base. */
    public record ImageRef(String name, boolean managed) {}

    private Arns() {}

    /**
     * Resolves an {@code imageIdentifier} (an ARN or a bare name, SPEC §8). An ARN of another
     * account is a ResourceNotFoundException, exactly as a name the caller has no image of —
     * nothing tells a caller that another account's image exists.
     */
    public static ImageRef resolveImage(String identifier, String callerAccount) {
        if (identifier == null || identifier.isBlank()) {
            throw AwsError.validation("imageIdentifier is required: an image name or its ARN");
        }
        if (!identifier.startsWith("arn:")) {
            return new ImageRef(identifier, false);
        }
        ImageArn arn = parseImage(identifier);
        if (arn == null) {
            throw AwsError.validation("imageIdentifier '" + identifier + "' is not a microvm-image ARN"
                    + " (arn:aws:lambda:<region>:<account>:microvm-image:<name>)");
        }
        if (arn.managed()) {
            return new ImageRef(arn.name(), true);
        }
        if (!arn.account().equals(callerAccount)) {
            throw AwsError.notFound("microvm-image", identifier, "microVM image " + identifier + " was not found");
        }
        return new ImageRef(arn.name(), false);
    }

    public static String image(String region, String accountId, String name) {
        return "arn:aws:lambda:" + region + ":" + accountId + ":microvm-image:" + name;
    }

    public static String managedImage(String region, String base) {
        return image(region, MANAGED_ACCOUNT, base);
    }

    /** The ARN's parts, or null when {@code arn} is not an image ARN. */
    public static ImageArn parseImage(String arn) {
        Matcher m = IMAGE.matcher(arn);
        return m.matches() ? new ImageArn(m.group(1), m.group(2), m.group(3)) : null;
    }
}
