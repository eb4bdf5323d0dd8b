package dev.burrow.daemon.store;

/** Who an API key speaks for. */
public record Principal(String tenantId, String tenantName, boolean admin, String keyId) {}
