package dev.burrow.daemon.tokens;

import java.util.Locale;
import java.util.Optional;

/** What a token opens: the ingress endpoint's ports, or the terminal. */
public enum Scope {
    INGRESS,
    PTY;

    /** The JSON spelling: {@code ingress}, {@code pty}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Scope> parse(String s) {
        for (Scope v : values()) {
            if (v.json().equals(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
