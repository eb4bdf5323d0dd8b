package dev.burrow.oci.registry;

import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A registry image reference: {@code host[:port]/repo[/…][:tag][@sha256:…]}. The host is always
 * explicit: Burrow does not guess {@code docker.io} (see {@link #isRegistryRef}). A reference
 * with neither tag nor digest means tag {@value #DEFAULT_TAG}.
 *
 * @param tag    the tag, or null when the reference is by digest only
 * @param digest the digest, or null when the reference is by tag only
 */
public record ImageReference(String host, String repository, String tag, Digest digest) {
    public static final String DEFAULT_TAG = "latest";
    /** The distribution spec's limit on a repository name. */
    public static final int MAX_REPOSITORY_LENGTH = 255;
    /** Longer input is refused before any parsing. */
    public static final int MAX_REFERENCE_LENGTH = 512;

    private static final Pattern DOMAIN_COMPONENT = Pattern.compile("[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]");
    private static final Pattern HOST = Pattern.compile(
            "(?:" + DOMAIN_COMPONENT + ")(?:\\.(?:" + DOMAIN_COMPONENT + "))*|\\[[a-fA-F0-9:.]+\\]");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    public ImageReference {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(repository, "repository");
        if (tag == null && digest == null) {
            throw new IllegalArgumentException("a reference needs a tag or a digest");
        }
    }

    /**
     * True when {@code text} names a registry: its first path component contains {@code .} or
     * {@code :} or is {@code localhost}. {@code python} and {@code library/python} are not.
     */
    public static boolean isRegistryRef(String text) {
        if (text == null) {
            return false;
        }
        int slash = text.indexOf('/');
        if (slash <= 0) {
            return false;
        }
        String first = text.substring(0, slash);
        return first.contains(".") || first.contains(":") || first.equals("localhost");
    }

    /** Parses a reference; every error names the part that is wrong. */
    public static ImageReference parse(String text) throws ImageException {
        if (text == null || text.isBlank()) {
            throw new ImageException("an image reference is empty");
        }
        if (text.length() > MAX_REFERENCE_LENGTH) {
            throw new ImageException("image reference is " + text.length() + " characters; at most "
                    + MAX_REFERENCE_LENGTH + " are accepted");
        }
        if (!isRegistryRef(text)) {
            throw new ImageException("'" + text + "' names no registry host: write it as host/repository[:tag]"
                    + " (for Docker Hub: docker.io/library/name:tag)");
        }
        String rest = text;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            try {
                digest = Digest.parse(rest.substring(at + 1));
            } catch (ImageException e) {
                throw new ImageException("image reference '" + text + "': digest: " + e.getMessage());
            }
            rest = rest.substring(0, at);
        }
        int slash = rest.indexOf('/');
        String hostPart = rest.substring(0, slash);
        String path = rest.substring(slash + 1);
        String tag = null;
        int colon = path.lastIndexOf(':');
        if (colon >= 0) {
            tag = path.substring(colon + 1);
            path = path.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new ImageException("image reference '" + text + "': tag '" + tag
                        + "' is not a valid tag (letters, digits, _ . -; at most 128; not starting with . or -)");
            }
        }
        checkHost(text, hostPart);
        checkRepository(text, path);
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        return new ImageReference(hostPart, path, tag, digest);
    }

    private static void checkHost(String text, String hostPart) throws ImageException {
        String host = hostPart;
        String port = null;
        int colon = hostPart.lastIndexOf(':');
        if (colon >= 0 && !hostPart.endsWith("]")) {
            host = hostPart.substring(0, colon);
            port = hostPart.substring(colon + 1);
        }
        if (!HOST.matcher(host).matches()) {
            throw new ImageException("image reference '" + text + "': host '" + hostPart + "' is not a valid host name");
        }
        if (port != null && (!PORT.matcher(port).matches() || Integer.parseInt(port) == 0 || Integer.parseInt(port) > 65535)) {
            throw new ImageException("image reference '" + text + "': port '" + port + "' is not a port number");
        }
    }

    private static void checkRepository(String text, String repository) throws ImageException {
        if (repository.isEmpty()) {
            throw new ImageException("image reference '" + text + "': the repository is empty");
        }
        if (repository.length() > MAX_REPOSITORY_LENGTH) {
            throw new ImageException("image reference '" + text + "': the repository is longer than "
                    + MAX_REPOSITORY_LENGTH + " characters");
        }
        for (String component : repository.split("/", -1)) {
            if (!PATH_COMPONENT.matcher(component).matches()) {
                throw new ImageException("image reference '" + text + "': repository component '" + component
                        + "' is not valid (lowercase letters and digits, separated by . _ __ or -)");
            }
        }
    }

    /** The tag or digest the manifest is fetched by (the digest when both are given). */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    /** {@code host/repo}, for messages. */
    public String name() {
        return host + "/" + repository;
    }

    @Override
    public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
