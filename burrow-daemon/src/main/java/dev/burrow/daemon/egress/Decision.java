package dev.burrow.daemon.egress;

import java.time.Instant;

/**
 * One egress decision (what GET /v1/microvms/{id}/egress lists): {@code protocol} dns, http or
 * tls; {@code name} as the guest asked for it (normalized; an IP literal as written; null when
 * it sent no usable name); {@code decision} allowed or denied, with the reason.
 */
public record Decision(long seq, Instant time, String protocol, String name, int port, String decision, String reason) {

    public static final String ALLOWED = "allowed";
    public static final String DENIED = "denied";
}
