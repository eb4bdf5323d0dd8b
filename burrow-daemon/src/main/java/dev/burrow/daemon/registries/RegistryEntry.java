package dev.burrow.daemon.registries;

import java.time.Instant;

/** What the API shows of a stored login: never its secret. */
public record RegistryEntry(String host, RegistryLogin.Kind kind, String username, Instant updatedAt) {}
