package dev.burrow.daemon.space;

import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Times;
import dev.burrow.daemon.store.Uploads;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** The {@link Referrers} of burrowd: the version and upload rows of every tenant, read from its database. */
public final class DatabaseReferrers implements Referrers {

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
}
