package dev.burrow.daemon.egress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.daemon.egress.internal.Names;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A microVM's {@code network} (SPEC §6): {@code egress} none, internet or allowlist, and for
 * allowlist the names it may reach. An entry {@code a.com} matches exactly that name;
 * {@code *.b.org} matches every name below b.org (x.b.org, y.x.b.org) but not b.org itself —
 * list both to allow both. It is stored as the JSON the API shows.
 */
public record EgressPolicy(Mode mode, List<String> allow) {

    public static final int MAX_ALLOW = 64;
    public static final String WILDCARD = "*.";
    public static final EgressPolicy NONE = new EgressPolicy(Mode.NONE, List.of());
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Mode {
        NONE, INTERNET, ALLOWLIST;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One faulty field of a request's {@code network}. */
    public record Violation(String field, String detail) {}

    public EgressPolicy {
        allow = List.copyOf(allow);
    }

    /**
     * The policy a request's {@code network} object asks for (null = none); every faulty field
     * is added to {@code violations}, and the result is then {@link #NONE}.
     */
    public static EgressPolicy parse(Map<String, Object> network, List<Violation> violations) {
        if (network == null) {
            return NONE;
        }
        int before = violations.size();
        for (String k : network.keySet()) {
            if (!k.equals("egress") && !k.equals("allow")) {
                violations.add(new Violation("network." + Names.printable(k), "network has no field '" + Names.printable(k)
                        + "'; it takes egress and allow"));
            }
        }
        Object egress = network.get("egress");
        Mode mode = null;
        if (egress == null) {
            violations.add(new Violation("network.egress", "network.egress is required: none, internet or allowlist"));
        } else if (egress instanceof String s && List.of("none", "internet", "allowlist").contains(s)) {
            mode = Mode.valueOf(s.toUpperCase(Locale.ROOT));
        } else {
            violations.add(new Violation("network.egress", "network.egress must be none, internet or allowlist; got "
                    + (egress instanceof String s ? "'" + Names.printable(s) + "'" : "a " + kind(egress))));
        }
        Object allow = network.get("allow");
        List<String> names = new ArrayList<>();
        if (mode == Mode.ALLOWLIST) {
            if (allow == null) {
                violations.add(new Violation("network.allow", "network.allow is required with egress allowlist: 1 to "
                        + MAX_ALLOW + " names, e.g. [\"pypi.org\", \"*.pythonhosted.org\"]"));
            } else if (!(allow instanceof List<?> list)) {
                violations.add(new Violation("network.allow", "network.allow must be a list of names; got a " + kind(allow)));
            } else if (list.isEmpty() || list.size() > MAX_ALLOW) {
                violations.add(new Violation("network.allow", "network.allow must hold 1 to " + MAX_ALLOW + " names; got " + list.size()));
            } else {
                Set<String> unique = new LinkedHashSet<>();
                for (int i = 0; i < list.size(); i++) {
                    String field = "network.allow[" + i + "]";
                    if (!(list.get(i) instanceof String n)) {
                        violations.add(new Violation(field, field + " must be a name; got a " + kind(list.get(i))));
                        continue;
                    }
                    String bare = n.startsWith(WILDCARD) ? n.substring(WILDCARD.length()) : n;
                    Names.problem(bare).ifPresentOrElse(
                            p -> violations.add(new Violation(field, field + " '" + Names.printable(n) + "' " + p
                                    + " (a lowercase DNS name, optionally starting with *. for its subdomains)")),
                            () -> unique.add(n));
                }
                names.addAll(unique);
            }
        } else if (allow != null && mode != null) {
            violations.add(new Violation("network.allow", "network.allow is only taken with egress allowlist"));
        }
        if (violations.size() > before || mode == null) {
            return NONE;
        }
        return new EgressPolicy(mode, names);
    }

    private static String kind(Object v) {
        return v instanceof Number ? "number" : v instanceof Boolean ? "boolean" : v instanceof Map ? "object"
                : v instanceof List ? "list" : v == null ? "null" : "string";
    }

    /** Whether a normalized name (see {@code Names.normalize}) is on the allow list. */
    public boolean allows(String name) {
        if (mode != Mode.ALLOWLIST) {
            return mode == Mode.INTERNET;
        }
        for (String entry : allow) {
            if (entry.startsWith(WILDCARD)) {
                String suffix = entry.substring(1); // ".b.org"
                if (name.endsWith(suffix) && name.length() > suffix.length()) {
                    return true;
                }
            } else if (entry.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** What the API shows: {@code {egress}} and, for allowlist, {@code allow}. */
    public Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("egress", mode.wire());
        if (mode == Mode.ALLOWLIST) {
            m.put("allow", allow);
        }
        return m;
    }

    /** The stored form: the JSON of {@link #view()}. */
    public String json() {
        try {
            return JSON.writeValueAsString(view());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a stored policy; null or empty is {@link #NONE} (records written before networks existed). */
    @SuppressWarnings("unchecked")
    public static EgressPolicy fromJson(String json) {
        if (json == null || json.isBlank()) {
            return NONE;
        }
        try {
            List<Violation> v = new ArrayList<>();
            EgressPolicy p = parse(JSON.readValue(json, Map.class), v);
            if (!v.isEmpty()) {
                throw new IllegalStateException("a stored network is invalid: " + v.getFirst().detail());
            }
            return p;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored network is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
