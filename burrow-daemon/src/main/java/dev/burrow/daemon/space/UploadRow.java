package dev.burrow.daemon.space;

import java.nio.file.Path;
import java.time.Instant;

/** An upload row: its tenant, id, file, expiry, and when a build was first started from it (null: never). */
public record UploadRow(String tenant, String id, Path path, Instant expiresAt, Instant usedAt) {

    public UploadRow {
        path = path.toAbsolutePath().normalize();
    }
}
