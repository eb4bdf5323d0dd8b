package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code --egress none|internet|allowlist:a.com,*.b.org} → the run request's
 * {@code network: {egress, allow?}} (SPEC §6). Only the syntax is checked here; whether a name
 * is acceptable is burrowd's call, and its message is shown as it comes.
 */
public final class EgressSpec {
    static final String NONE = "none";
    static final String INTERNET = "internet";
    static final String ALLOWLIST = "allowlist";
    private static final String ALLOWLIST_PREFIX = ALLOWLIST + ":";
    static final String USAGE = "expected none, internet or allowlist:a.com,*.b.org";

    private EgressSpec() {}

    /** The {@code network} object for {@code text}; a {@link BurrowException} naming the flag when the syntax is wrong. */
    public static ObjectNode parse(String text) {
        ObjectNode network = Json.object();
        if (text.equals(NONE) || text.equals(INTERNET)) {
            network.put("egress", text);
            return network;
        }
        if (text.equals(ALLOWLIST) || text.equals(ALLOWLIST_PREFIX)) {
            throw error("an allowlist needs at least one name, e.g. allowlist:pypi.org,*.pythonhosted.org");
        }
        if (!text.startsWith(ALLOWLIST_PREFIX)) {
            throw error(USAGE + "; got '" + text + "'");
        }
        network.put("egress", ALLOWLIST);
        ArrayNode allow = network.putArray("allow");
        for (String name : text.substring(ALLOWLIST_PREFIX.length()).split(",", -1)) {
            if (name.isEmpty()) throw error("an empty name in '" + text + "': separate names with single commas");
            if (!name.strip().equals(name) || name.chars().anyMatch(Character::isWhitespace)) {
                throw error("'" + name + "' holds a space: names are separated by commas only");
            }
            allow.add(name);
        }
        return network;
    }

    private static BurrowException error(String message) {
        return new BurrowException("--egress: " + message);
    }
}
