package dev.burrow.daemon.registries;

import java.util.Objects;

/**
 * A tenant's login to one registry: a user name and password ({@link Kind#BASIC}) or a bearer
 * token ({@link Kind#TOKEN}, username null). {@code toString()} never shows the secret.
 */
public record RegistryLogin(Kind kind, String username, String secret) {
    /** How the registry is authenticated to. */
    public enum Kind {
        BASIC("basic"), TOKEN("token");

        private final String json;

        Kind(String json) {
            this.json = json;
        }

        /** The name the API and the database use. */
        public String json() {
            return json;
        }

        static Kind of(String json) {
            for (Kind k : values()) {
                if (k.json.equals(json)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown registry login kind " + json);
        }
    }

    public RegistryLogin {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(secret, "secret");
        if ((kind == Kind.BASIC) != (username != null)) {
            throw new IllegalArgumentException("a basic login has a user name, a token login none");
        }
    }

    public static RegistryLogin basic(String username, String password) {
        return new RegistryLogin(Kind.BASIC, username, password);
    }

    public static RegistryLogin token(String token) {
        return new RegistryLogin(Kind.TOKEN, null, token);
    }

    @Override
    public String toString() {
        return kind == Kind.BASIC ? "basic(" + username + ", ****)" : "token(****)";
    }
}
