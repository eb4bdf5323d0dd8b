package dev.burrow.daemon.space;

import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.StoreException;
import dev.burrow.daemon.store.Times;
import dev.burrow.daemon.store.Uploads;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The {@link Referrers} of burrowd: the version and upload rows of every tenant, read from its database. */
public final class DatabaseReferrers implements Referrers {

    /** How long the checkpoint after a prune waits for a writer before it gives up (it runs again after the next). */
    private static final int CHECKPOINT_BUSY_MILLIS = 2000;

    private final Database db;
    private final Uploads uploads;

    public DatabaseReferrers(Database db, Uploads uploads) {
        this.db = db;
        this.uploads = uploads;
    }

    @Override
    public List<VersionRow> versions() {
        return db.read(c -> {
            List<VersionRow> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT tenant_id, image, version, state, template_dir, build_log, source FROM image_versions");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String log = rs.getString(6);
                    if (log == null) {
                        continue; // every version row names its build log; one that does not has no files either
                    }
                    String template = rs.getString(5);
                    out.add(new VersionRow(rs.getString(1), rs.getString(2), rs.getInt(3), VersionState.valueOf(rs.getString(4)),
                            Path.of(log).getParent(), template == null ? null : Path.of(template), rs.getString(7)));
                }
            }
            return out;
        });
    }

    @Override
    public List<UploadRow> uploads() {
        return db.read(c -> {
            List<UploadRow> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant_id, id, path, expires_at, used_at FROM uploads");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new UploadRow(rs.getString(1), rs.getString(2), Path.of(rs.getString(3)), Times.parse(rs.getString(4)),
                            Times.parse(rs.getString(5))));
                }
            }
            return out;
        });
    }

    @Override
    public boolean forgetUpload(UploadRow upload) {
        return uploads.delete(upload.tenant(), upload.id()).isPresent();
    }

    /**
     * {@code wal_checkpoint(TRUNCATE)} on a connection of its own, outside any transaction: the
     * log's pages go into the database and the log to zero bytes. Best effort: a reader in the
     * middle of a transaction makes it a partial checkpoint, a busy writer a skipped one.
     */
    @Override
    public void compact() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.file());
             Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = " + CHECKPOINT_BUSY_MILLIS);
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            throw new StoreException("the write-ahead log could not be checkpointed: " + e.getMessage(), e);
        }
    }
}
