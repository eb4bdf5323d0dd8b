package dev.burrow.daemon.egress.internal;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Host names as egress compares them: lowercase DNS names of at most {@value #MAX_NAME}
 * characters, labels of 1..{@value #MAX_LABEL} letters, digits and inner hyphens, no trailing
 * dot, and never an IP literal (a name whose last label is all digits).
 */
public final class Names {

    public static final int MAX_NAME = 253;
    public static final int MAX_LABEL = 63;
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("\\[?[0-9a-fA-F:.]{2,45}]?");

    private Names() {}

    /** Why {@code name} is not a valid name as written (lowercase, no trailing dot), or empty when it is. */
    public static Optional<String> problem(String name) {
        if (name.isEmpty()) {
            return Optional.of("is empty");
        }
        if (name.length() > MAX_NAME) {
            return Optional.of("is longer than " + MAX_NAME + " characters");
        }
        if (isIpLiteral(name)) {
            return Optional.of("is an IP address; only names are allowed");
        }
        if (name.endsWith(".")) {
            return Optional.of("ends with a dot; write the name without it");
        }
        if (!name.equals(name.toLowerCase(Locale.ROOT))) {
            return Optional.of("must be lowercase");
        }
        String[] labels = name.split("\\.", -1);
        for (String label : labels) {
            if (label.length() > MAX_LABEL) {
                return Optional.of("has a label longer than " + MAX_LABEL + " characters");
            }
            if (!LABEL.matcher(label).matches()) {
                return Optional.of("has a label that is not letters, digits and inner hyphens: '" + printable(label) + "'");
            }
        }
        if (labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
            return Optional.of("ends with an all-digit label, which no DNS name has (an IP address?)");
        }
        return Optional.empty();
    }

    /**
     * A name a guest sent (DNS question, Host header, SNI) as egress compares it: lowercased, one
     * trailing dot dropped; empty when it is not a valid name (IP literals included).
     */
    public static Optional<String> normalize(String raw) {
        if (raw == null || raw.length() > MAX_NAME + 1) {
            return Optional.empty();
        }
        String n = raw.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        return problem(n).isPresent() ? Optional.empty() : Optional.of(n);
    }

    /** An IPv4 dotted quad or something shaped like an IPv6 literal (bracketed or not). */
    public static boolean isIpLiteral(String s) {
        return IPV4.matcher(s).matches() || (s.indexOf(':') >= 0 && IPV6.matcher(s).matches());
    }

    /** A guest-supplied value as it may appear in a message or a decision: printable ASCII, at most 64 characters. */
    public static String printable(String v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length() && i < 64; i++) {
            char c = v.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return v.length() > 64 ? b.append("…").toString() : b.toString();
    }
}
