package dev.burrow.oci.registry;

import java.util.Objects;

/**
 * How to authenticate to a registry. {@code toString()} never shows a secret: a password or
 * token is only ever put into an {@code Authorization} header.
 */
public sealed interface Credentials {
    static Credentials anonymous() {
        return Anonymous.INSTANCE;
    }

    static Credentials basic(String user, String password) {
        return new Basic(user, password);
    }

    /** A bearer token the caller already has; sent as is, without asking a token server. */
    static Credentials token(String bearer) {
        return new Token(bearer);
    }

    /** No credentials: anonymous tokens only. */
    enum Anonymous implements Credentials {
        INSTANCE;

        @Override
        public String toString() {
            return "anonymous";
        }
    }

    /** A user name and password (or personal access token). */
    record Basic(String user, String password) implements Credentials {
        public Basic {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            if (user.indexOf(':') >= 0) {
                throw new IllegalArgumentException("a registry user name cannot contain ':'");
            }
        }

        @Override
        public String toString() {
            return "basic(" + user + ", ****)";
        }
    }

    /** A bearer token. */
    record Token(String bearer) implements Credentials {
        public Token {
            Objects.requireNonNull(bearer, "bearer");
        }

        @Override
        public String toString() {
            return "token(****)";
        }
    }
}
