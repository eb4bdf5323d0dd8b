package dev.burrow.daemon.ingress;

import java.time.Duration;

/**
 * Every limit of the ingress endpoint, with its default in one place ({@link #DEFAULTS}).
 *
 * @param connectTimeout        to open a TCP stream to the guest port (the agent's CONNECTED)
 * @param responseHeaderTimeout from the request's end to the guest's whole response head (else 504)
 * @param idleTimeout           a response body (or request body) that moves no byte for this long is cut
 * @param tunnelIdleTimeout     an upgraded connection (a WebSocket) that moves no byte either way for this long is closed
 * @param poolPerTarget         idle keep-alive streams kept per (microVM, port); more are closed
 * @param poolIdle              an idle pooled stream older than this is closed rather than reused
 * @param maxResponseHeadBytes  the guest's status line plus headers (more is 502)
 * @param bufferBytes           one copy buffer, each direction
 */
public record IngressSettings(Duration connectTimeout, Duration responseHeaderTimeout, Duration idleTimeout,
                              Duration tunnelIdleTimeout, int poolPerTarget, Duration poolIdle, int maxResponseHeadBytes,
                              int bufferBytes) {

    public static final IngressSettings DEFAULTS = new IngressSettings(Duration.ofSeconds(5), Duration.ofSeconds(60),
            Duration.ofSeconds(60), Duration.ofMinutes(10), 8, Duration.ofSeconds(30), 64 * 1024, 16 * 1024);

    public IngressSettings {
        if (poolPerTarget < 0 || maxResponseHeadBytes < 1024 || bufferBytes < 1024) {
            throw new IllegalArgumentException("inconsistent ingress settings: " + this);
        }
    }

    /** A copy with other timeouts (tests use short ones). */
    public IngressSettings withTimeouts(Duration connect, Duration responseHeader, Duration idle) {
        return new IngressSettings(connect, responseHeader, idle, tunnelIdleTimeout, poolPerTarget, poolIdle,
                maxResponseHeadBytes, bufferBytes);
    }

    /** A copy with another pool size. */
    public IngressSettings withPool(int perTarget) {
        return new IngressSettings(connectTimeout, responseHeaderTimeout, idleTimeout, tunnelIdleTimeout, perTarget, poolIdle,
                maxResponseHeadBytes, bufferBytes);
    }
}
