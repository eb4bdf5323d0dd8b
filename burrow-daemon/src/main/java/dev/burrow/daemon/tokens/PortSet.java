package dev.burrow.daemon.tokens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The guest ports a token allows, as AWS's {@code allowedPorts}: single ports, inclusive ranges
 * {@code {from, to}}, or {@code "all"}. It says nothing about the hooks port, which the ingress
 * endpoint refuses whatever a token allows.
 */
public final class PortSet {

    /** The most entries one token may name. */
    public static final int MAX_ENTRIES = 64;
    public static final int MIN_PORT = 1;
    public static final int MAX_PORT = 65535;

    private record Range(int from, int to, boolean all) {}

    private final List<Range> ranges;

    private PortSet(List<Range> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    public static PortSet of(int port) {
        check(port);
        return new PortSet(List.of(new Range(port, port, false)));
    }

    public static PortSet all() {
        return new PortSet(List.of(new Range(MIN_PORT, MAX_PORT, true)));
    }

    private static void check(int port) {
        if (port < MIN_PORT || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be between " + MIN_PORT + " and " + MAX_PORT + "; got " + port);
        }
    }

    public boolean allows(int port) {
        for (Range r : ranges) {
            if (port >= r.from && port <= r.to) {
                return true;
            }
        }
        return false;
    }

    /** The first single port named, else the lowest port of the first range (for an example URL). */
    public int first() {
        return ranges.stream().filter(r -> r.from == r.to).findFirst().orElse(ranges.getFirst()).from;
    }

    /** The JSON form, as the caller wrote it: {@code 8080}, {@code {"from":…,"to":…}} or {@code "all"}. */
    public List<Object> toJson() {
        List<Object> out = new ArrayList<>();
        for (Range r : ranges) {
            if (r.all) {
                out.add("all");
            } else if (r.from == r.to) {
                out.add(r.from);
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("from", r.from);
                m.put("to", r.to);
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Parses a request's {@code ports} (a JSON array already read into Java values), reporting
     * every faulty entry as (field, detail) to {@code errors}; null when there was one.
     */
    public static PortSet parse(Object json, String field, BiConsumer<String, String> errors) {
        if (!(json instanceof List<?> list) || list.isEmpty()) {
            errors.accept(field, field + " must be a non-empty array of ports: 8080, {\"from\": 8000, \"to\": 8100} or \"all\"");
            return null;
        }
        if (list.size() > MAX_ENTRIES) {
            errors.accept(field, field + " may name at most " + MAX_ENTRIES + " entries (use ranges); got " + list.size());
            return null;
        }
        List<Range> ranges = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < list.size(); i++) {
            String f = field + "[" + i + "]";
            Object e = list.get(i);
            switch (e) {
                case Integer p when p >= MIN_PORT && p <= MAX_PORT -> ranges.add(new Range(p, p, false));
                case String s when s.equals("all") -> ranges.add(new Range(MIN_PORT, MAX_PORT, true));
                case Map<?, ?> m when m.keySet().stream().allMatch(k -> k.equals("from") || k.equals("to"))
                        && m.get("from") instanceof Integer from && m.get("to") instanceof Integer to
                        && from >= MIN_PORT && to <= MAX_PORT && from <= to -> ranges.add(new Range(from, to, false));
                case null, default -> {
                    errors.accept(f, f + " must be a port " + MIN_PORT + ".." + MAX_PORT + ", {\"from\": a, \"to\": b} with "
                            + MIN_PORT + " <= a <= b <= " + MAX_PORT + ", or \"all\"; got " + describe(e));
                    ok = false;
                }
            }
        }
        return ok ? new PortSet(ranges) : null;
    }

    private static String describe(Object e) {
        String s = String.valueOf(e);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortSet p && p.ranges.equals(ranges);
    }

    @Override
    public int hashCode() {
        return ranges.hashCode();
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
