package dev.burrow.daemon.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The versions, of every tenant, that ask for standbys and may have them: {@code standby} above
 * 0 in their settings, READY, ACTIVE, and their image's newest READY and ACTIVE version (a
 * newer version supersedes an older one's pool; it inherits the setting). The partial index of
 * migration V10 keeps the look-up to the rows that ask for any.
 */
public final class StandbyVersions {

    /** One version that asks for {@code standby} standbys. */
    public record Row(String tenantId, String image, int version, int standby) {}

    private static final String QUERY = """
            SELECT v.tenant_id, v.image, v.version, json_extract(v.settings, '$.standby')
            FROM image_versions v
            WHERE json_extract(v.settings, '$.standby') > 0 AND v.state = 'READY' AND v.active = 1
              AND v.version = (SELECT max(w.version) FROM image_versions w
                               WHERE w.tenant_id = v.tenant_id AND w.image = v.image AND w.state = 'READY' AND w.active = 1)
            ORDER BY v.tenant_id, v.image""";

    private final Database db;

    public StandbyVersions(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    public List<Row> list() {
        return db.read(c -> {
            List<Row> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(QUERY); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4)));
                }
            }
            return out;
        });
    }
}
