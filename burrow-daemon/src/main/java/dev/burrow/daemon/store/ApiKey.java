package dev.burrow.daemon.store;

import java.time.Instant;

/** A stored API key, without its secret: {@code prefix} is its first 8 characters, for display. */
public record ApiKey(String id, String tenantId, String prefix, boolean admin, Instant createdAt, Instant revokedAt) {

    public boolean revoked() {
        return revokedAt != null;
    }
}
