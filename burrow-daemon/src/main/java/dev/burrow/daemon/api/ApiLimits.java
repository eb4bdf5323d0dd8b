package dev.burrow.daemon.api;

import java.time.Duration;
import java.util.Map;

/**
 * Every limit the API enforces against its clients, with its default in one place
 * ({@link #DEFAULTS}); {@link #fromEnvironment} overrides the ones an operator may tune.
 *
 * @param domain                    the daemon's own domain ({@code BURROW_DOMAIN}): {@code Host: <domain>} and
 *                                  {@code Host: *.<domain>} are accepted besides the loopback names
 * @param maxConnections            open connections in total; more wait in the kernel's backlog
 * @param maxConnectionsPerAddress  open connections from one client address; more are closed at once
 * @param headerDeadline            from a request's first byte to its last header byte (slowloris)
 * @param bodyDeadline              to read a JSON body (≤ 1 MiB) once the handler asks for it
 * @param idleTimeout               a connection that sends and takes nothing for this long is closed
 * @param minUploadBytesPerSecond   an upload slower than this on average (after {@link #headerDeadline}) is cut
 * @param requestHeaderBytes        the request line plus headers (more is 431, a longer URI 414)
 * @param maxUploadBytes            one {@code POST /v1/uploads} body (413 above)
 * @param uploadTtl                 an upload not used by then is deleted, row and file
 * @param idempotencyTtl            how long an {@code Idempotency-Key} is remembered
 * @param eventRetention            events older than this are deleted
 * @param maxEventRows              at most this many events are kept (the oldest go first)
 * @param janitorPeriod             how often the expiry above runs
 * @param maxStreamsPerTenant       concurrent long-lived streams of one tenant (events follow, exec)
 * @param maxInFlightPerTenant      concurrent calls of one tenant, streams included
 * @param execWriteStall            an exec stream whose client takes no output for this long is ended
 */
public record ApiLimits(String domain, int maxConnections, int maxConnectionsPerAddress, Duration headerDeadline,
                        Duration bodyDeadline, Duration idleTimeout, long minUploadBytesPerSecond, int requestHeaderBytes,
                        long maxUploadBytes, Duration uploadTtl, Duration idempotencyTtl, Duration eventRetention,
                        long maxEventRows, Duration janitorPeriod, int maxStreamsPerTenant, int maxInFlightPerTenant,
                        Duration execWriteStall) {

    public static final ApiLimits DEFAULTS = new ApiLimits("localhost", 1024, 256, Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60), 16 * 1024, 16 * 1024, 4L << 30, Duration.ofHours(24),
            Duration.ofHours(24), Duration.ofDays(7), 1_000_000, Duration.ofMinutes(1), 64, 128, Duration.ofSeconds(30));

    public ApiLimits {
        if (domain == null || !domain.matches("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")) {
            throw new IllegalArgumentException("BURROW_DOMAIN must be a lowercase DNS name, e.g. localhost; got " + domain);
        }
        if (maxConnectionsPerAddress < 1 || maxConnections < maxConnectionsPerAddress || maxStreamsPerTenant < 1
                || maxInFlightPerTenant < maxStreamsPerTenant || maxUploadBytes < 1) {
            throw new IllegalArgumentException("inconsistent API limits: " + this);
        }
    }

    /** The defaults with {@code BURROW_DOMAIN}, {@code BURROW_MAX_UPLOAD_BYTES} and the per-tenant caps from {@code env}. */
    public static ApiLimits fromEnvironment(Map<String, String> env) {
        ApiLimits d = DEFAULTS;
        return new ApiLimits(env.getOrDefault("BURROW_DOMAIN", d.domain()), d.maxConnections(), d.maxConnectionsPerAddress(),
                d.headerDeadline(), d.bodyDeadline(), d.idleTimeout(), d.minUploadBytesPerSecond(), d.requestHeaderBytes(),
                number(env, "BURROW_MAX_UPLOAD_BYTES", d.maxUploadBytes()), d.uploadTtl(), d.idempotencyTtl(),
                d.eventRetention(), d.maxEventRows(), d.janitorPeriod(),
                (int) number(env, "BURROW_MAX_STREAMS_PER_TENANT", d.maxStreamsPerTenant()),
                (int) number(env, "BURROW_MAX_INFLIGHT_PER_TENANT", d.maxInFlightPerTenant()), d.execWriteStall());
    }

    /** A copy with other per-tenant caps (tests use small ones). */
    public ApiLimits withTenantCaps(int streams, int inFlight) {
        return new ApiLimits(domain, maxConnections, maxConnectionsPerAddress, headerDeadline, bodyDeadline, idleTimeout,
                minUploadBytesPerSecond, requestHeaderBytes, maxUploadBytes, uploadTtl, idempotencyTtl, eventRetention,
                maxEventRows, janitorPeriod, streams, inFlight, execWriteStall);
    }

    /** A copy with another upload limit (tests use a small one). */
    public ApiLimits withMaxUploadBytes(long bytes) {
        return new ApiLimits(domain, maxConnections, maxConnectionsPerAddress, headerDeadline, bodyDeadline, idleTimeout,
                minUploadBytesPerSecond, requestHeaderBytes, bytes, uploadTtl, idempotencyTtl, eventRetention,
                maxEventRows, janitorPeriod, maxStreamsPerTenant, maxInFlightPerTenant, execWriteStall);
    }

    /** A copy with other connection deadlines (tests use short ones). */
    public ApiLimits withDeadlines(Duration header, Duration body) {
        return new ApiLimits(domain, maxConnections, maxConnectionsPerAddress, header, body, idleTimeout,
                minUploadBytesPerSecond, requestHeaderBytes, maxUploadBytes, uploadTtl, idempotencyTtl, eventRetention,
                maxEventRows, janitorPeriod, maxStreamsPerTenant, maxInFlightPerTenant, execWriteStall);
    }

    /** A copy with another write-stall deadline (tests use a short one). */
    public ApiLimits withExecWriteStall(Duration stall) {
        return new ApiLimits(domain, maxConnections, maxConnectionsPerAddress, headerDeadline, bodyDeadline, idleTimeout,
                minUploadBytesPerSecond, requestHeaderBytes, maxUploadBytes, uploadTtl, idempotencyTtl, eventRetention,
                maxEventRows, janitorPeriod, maxStreamsPerTenant, maxInFlightPerTenant, stall);
    }

    private static long number(Map<String, String> env, String name, long def) {
        String v = env.get(name);
        if (v == null) {
            return def;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number; got " + v);
        }
    }
}
