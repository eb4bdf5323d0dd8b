package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Option values the verbs check themselves ({@code K=V}, sizes, durations), with the flag's name in the error. */
public final class Args {
    private Args() {}

    /** {@code K=V} pairs into a map, naming the flag when one has no {@code =}. */
    public static Map<String, String> pairs(List<String> items, String flag) {
        Map<String, String> map = new LinkedHashMap<>();
        if (items == null) return map;
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) throw new BurrowException(flag + " expects KEY=VALUE; got '" + item + "'");
            map.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return map;
    }

    /** {@code K=V} pairs as the object {@code field} of {@code body}; nothing when there are none. */
    public static void putPairs(ObjectNode body, String field, List<String> items, String flag) {
        Map<String, String> map = pairs(items, flag);
        if (!map.isEmpty()) {
            ObjectNode o = body.putObject(field);
            map.forEach(o::put);
        }
    }

    public static long mib(String flag, String value) {
        try {
            return Units.parseMiB(value);
        } catch (IllegalArgumentException e) {
            throw new BurrowException(flag + ": " + e.getMessage());
        }
    }

    public static long seconds(String flag, String value) {
        try {
            return Units.parseSeconds(value);
        } catch (IllegalArgumentException e) {
            throw new BurrowException(flag + ": " + e.getMessage());
        }
    }
}
