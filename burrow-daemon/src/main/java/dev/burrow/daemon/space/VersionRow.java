package dev.burrow.daemon.space;

import dev.burrow.daemon.images.VersionState;
import java.nio.file.Path;

/**
 * A version row of any tenant as the collector sees it: where its files are ({@code dir}, the
 * build log's directory), which template it runs from ({@code templateDir}, null before READY;
 * another version's when the builder reused it) and its source as recorded.
 */
public record VersionRow(String tenant, String image, int version, VersionState state, Path dir, Path templateDir,
                         String source) {

    public VersionRow {
        dir = dir.toAbsolutePath().normalize();
        templateDir = templateDir == null ? null : templateDir.toAbsolutePath().normalize();
    }

    /** PENDING or BUILDING: everything under its directory is in use. */
    public boolean building() {
        return !state.terminal();
    }
}
