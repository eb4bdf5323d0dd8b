package dev.burrow.daemon.registries;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A registry host as {@code /v1/registries/{host}} and image references name it:
 * {@code host[:port]} — a DNS name or an IPv4 address, no scheme, no path, no user (the API
 * document's pattern; IPv6 literals are not taken). Compared in lower case.
 */
public final class RegistryHost {
    /** Longer than any DNS name with a port. */
    public static final int MAX_LENGTH = 261;
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    private RegistryHost() {
    }

    /** The host in lower case. */
    public static String normalize(String host) {
        return host.toLowerCase(Locale.ROOT);
    }

    /** Why {@code host} is no registry host, or empty when it is one. */
    public static Optional<String> problem(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.of("a registry host is required, as host or host:port");
        }
        if (host.length() > MAX_LENGTH) {
            return Optional.of("a registry host is at most " + MAX_LENGTH + " characters; got " + host.length());
        }
        String h = normalize(host);
        if (h.contains("://")) {
            return Optional.of("give the registry as host[:port], without a scheme (https is used; "
                    + "plain http only for loopback and BURROW_INSECURE_REGISTRIES)");
        }
        if (h.contains("/") || h.contains("@") || h.contains("?") || h.contains("#")) {
            return Optional.of("give the registry as host[:port], without a path or a user");
        }
        String name = h;
        String port = null;
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && !h.endsWith("]")) {
            name = h.substring(0, colon);
            port = h.substring(colon + 1);
        }
        if (port != null && (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
            return Optional.of("the registry's port must be a number from 1 to 65535");
        }
        if (name.startsWith("[")) {
            return Optional.of("an IPv6 registry host is not supported for logins; use the registry's DNS name");
        }
        if (name.isEmpty() || name.length() > 253) {
            return Optional.of("the registry's host name must be 1 to 253 characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return Optional.of("the registry's host name must be DNS labels (letters, digits, '-') separated by dots");
            }
        }
        return Optional.empty();
    }
}
