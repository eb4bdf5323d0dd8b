package dev.burrow.daemon.space;

import java.nio.file.Path;
import java.time.Instant;

/** An upload row: its tenant, id, file and expiry. */
public record UploadRow(String tenant, String id, Path path, Instant expiresAt) {

    public UploadRow {
        path = path.toAbsolutePath().normalize();
    }
}
