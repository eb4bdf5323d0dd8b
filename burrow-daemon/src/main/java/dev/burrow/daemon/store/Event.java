package dev.burrow.daemon.store;

import java.time.Instant;

/** One row of the event log ({@code GET /v1/events}: {@code {seq, time, kind, id, from, to, reason, requestId}}). */
public record Event(long seq, Instant time, String kind, String resourceId, String from, String to, String reason,
                    String requestId, String tenantId) {}
