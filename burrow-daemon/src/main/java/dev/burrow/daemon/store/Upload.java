package dev.burrow.daemon.store;

import java.nio.file.Path;
import java.time.Instant;

/** Bytes a client sent with {@code POST /v1/uploads}, stored at {@code path} until used or expired. */
public record Upload(String id, String tenantId, Path path, long bytes, String sha256, Instant createdAt, Instant expiresAt) {}
