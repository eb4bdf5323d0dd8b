package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code --quota microvms=N,vcpus=N,memory=8G,suspended=20G,uploads=4G,builds=2} → the API's
 * {@code quotas} object (sizes in MiB, SPEC §0 units); {@code NAME=unlimited} sends null, which
 * lifts that quota. Also renders a tenant's quotas and usage for tables.
 */
public final class QuotaSpec {
    /** The word that lifts a quota (JSON null). */
    static final String UNLIMITED = "unlimited";
    /** How a lifted quota shows in a table cell. */
    static final String UNLIMITED_CELL = "∞";

    /** One quota: its CLI name, its API member, and whether it is a size. */
    public enum Quota {
        MICROVMS("microvms", "microvms", false),
        VCPUS("vcpus", "vcpus", false),
        MEMORY("memory", "memoryMiB", true),
        SUSPENDED("suspended", "suspendedMiB", true),
        UPLOADS("uploads", "uploadsMiB", true),
        BUILDS("builds", "builds", false);

        final String cliName;
        final String apiName;
        final boolean size;

        Quota(String cliName, String apiName, boolean size) {
            this.cliName = cliName;
            this.apiName = apiName;
            this.size = size;
        }

        static Quota named(String name) {
            for (Quota q : values()) {
                if (q.cliName.equals(name) || q.apiName.equals(name)) return q;
            }
            throw error("unknown quota '" + name + "': use " + names());
        }

        public String apiName() {
            return apiName;
        }
    }

    private QuotaSpec() {}

    /** The {@code quotas} object for the given {@code --quota} values (each a comma-separated list); a quota given twice is an error. */
    public static ObjectNode parse(List<String> values) {
        ObjectNode quotas = Json.object();
        for (String value : values) {
            for (String item : value.split(",", -1)) {
                int eq = item.indexOf('=');
                if (eq <= 0 || eq == item.length() - 1) {
                    throw error("expected NAME=VALUE such as vcpus=8 or memory=8G; got '" + item + "'");
                }
                Quota q = Quota.named(item.substring(0, eq).strip());
                if (quotas.has(q.apiName)) throw error(q.cliName + " is given twice");
                String v = item.substring(eq + 1).strip();
                if (v.equals(UNLIMITED)) {
                    quotas.putNull(q.apiName);
                } else {
                    quotas.put(q.apiName, q.size ? size(q, v) : count(q, v));
                }
            }
        }
        return quotas;
    }

    private static long size(Quota q, String v) {
        try {
            return Units.parseMiB(v);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw error(q.cliName + ": " + e.getMessage() + " (or " + UNLIMITED + ")");
        }
    }

    private static long count(Quota q, String v) {
        if (!v.matches("\\d{1,9}")) {
            throw error(q.cliName + ": expected a whole number of at least 0 (or " + UNLIMITED + "); got '" + v + "'");
        }
        return Long.parseLong(v);
    }

    /** A table cell: {@code used/limit}, sizes in the CLI's units ({@code 512M/8G}), a lifted quota as {@value #UNLIMITED_CELL}. */
    public static String cell(JsonNode tenant, Quota q) {
        JsonNode limit = tenant.path("quotas").get(q.apiName);
        JsonNode used = tenant.path("usage").get(q.apiName);
        String usedText = used == null || used.isNull() ? "-" : render(q, used.asLong());
        String limitText = limit == null || limit.isNull() ? UNLIMITED_CELL : render(q, limit.asLong());
        return usedText + "/" + limitText;
    }

    static String render(Quota q, long value) {
        if (!q.size || value == 0) return Long.toString(value);
        return value > 0 && value % 1024 == 0 ? value / 1024 + "G" : value + "M";
    }

    static String names() {
        return Arrays.stream(Quota.values()).map(q -> q.cliName).collect(Collectors.joining(", "));
    }

    private static BurrowException error(String message) {
        return new BurrowException("--quota: " + message);
    }
}
