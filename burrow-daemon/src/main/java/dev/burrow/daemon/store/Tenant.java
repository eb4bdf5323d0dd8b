package dev.burrow.daemon.store;

import java.time.Instant;

/** A tenant: the owner of API keys, images, microVMs and uploads. */
public record Tenant(String id, String name, Instant createdAt, Quotas quotas) {}
