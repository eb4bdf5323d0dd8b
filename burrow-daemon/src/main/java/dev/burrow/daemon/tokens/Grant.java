package dev.burrow.daemon.tokens;

import java.time.Instant;
import java.util.Objects;

/** What a valid token allows: one tenant's one microVM, one scope, some ports, until an instant. */
public record Grant(String tenantId, String microVmId, Scope scope, PortSet ports, Instant expiresAt) {

    public Grant {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(microVmId, "microVmId");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** True when this grant is for {@code microVmId} in {@code scope}. */
    public boolean opens(String microVmId, Scope scope) {
        return this.microVmId.equals(microVmId) && this.scope == scope;
    }
}
