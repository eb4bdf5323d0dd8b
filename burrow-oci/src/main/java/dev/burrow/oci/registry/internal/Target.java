package dev.burrow.oci.registry.internal;

import dev.burrow.oci.registry.Credentials;

/** The registry and repository a pull talks to, and the credentials it uses there. */
public record Target(String host, String repository, Credentials credentials) {
    /** The token scope a pull asks for. */
    public String pullScope() {
        return "repository:" + repository + ":pull";
    }

    /** {@code host/repo}, for messages. */
    public String name() {
        return host + "/" + repository;
    }
}
