package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.EntrypointStatus;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which versions may keep standbys: asked for, READY, ACTIVE, and the newest such of their image, in every tenant. */
class StandbyVersionsTest {

    @TempDir
    Path dir;
    Database db;
    String tenantA;
    String tenantB;
    SqliteImageStore a;
    SqliteImageStore b;
    StandbyVersions standbys;

    @BeforeEach
    void open() {
        TwoTenantStores stores = TwoTenantStores.open(dir);
        db = stores.db();
        tenantA = stores.tenantA();
        tenantB = stores.tenantB();
        a = stores.a();
        b = stores.b();
        standbys = new StandbyVersions(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static ImageVersion version(String image, int n, VersionState state, boolean active, int standby) {
        return new ImageVersion(image, n, state, null, active, BuildSettings.NONE.withDefaults().withStandby(standby), "path:/x",
                Instant.EPOCH, Instant.EPOCH, EntrypointStatus.NONE, Map.of(), null, null);
    }

    @Test
    void versionsThatAskForStandbysAreFoundInEveryTenant() {
        a.createImage(version("web", 1, VersionState.READY, true, 2));
        a.createImage(version("plain", 1, VersionState.READY, true, 0));
        b.createImage(version("api", 1, VersionState.READY, true, 1));

        assertThat(standbys.list()).containsExactlyInAnyOrder(new StandbyVersions.Row(tenantA, "web", 1, 2),
                new StandbyVersions.Row(tenantB, "api", 1, 1));
    }

    @Test
    void anInactiveOrUnbuiltVersionHasNone() {
        a.createImage(version("web", 1, VersionState.READY, false, 2));
        a.createImage(version("api", 1, VersionState.BUILDING, true, 2));
        a.createImage(version("bad", 1, VersionState.FAILED, true, 2));

        assertThat(standbys.list()).isEmpty();
    }

    @Test
    void aNewerRunnableVersionSupersedesAnOlderOnesPoolButABuildingOneDoesNot() {
        a.createImage(version("web", 1, VersionState.READY, true, 2));
        a.addVersion(version("web", 2, VersionState.BUILDING, true, 2));
        assertThat(standbys.list()).containsExactly(new StandbyVersions.Row(tenantA, "web", 1, 2));

        a.update(version("web", 2, VersionState.READY, true, 3));
        assertThat(standbys.list()).containsExactly(new StandbyVersions.Row(tenantA, "web", 2, 3));

        a.update(version("web", 2, VersionState.READY, true, 0)); // the newest asks for none: the older keeps none either
        assertThat(standbys.list()).isEmpty();
    }

    @Test
    void theLookUpReadsThePartialIndexOfMigrationTen() {
        String plan = db.read(c -> {
            StringBuilder out = new StringBuilder();
            try (var rs = c.createStatement().executeQuery("EXPLAIN QUERY PLAN SELECT tenant_id FROM image_versions v "
                    + "WHERE json_extract(v.settings, '$.standby') > 0 AND v.state = 'READY'")) {
                while (rs.next()) {
                    out.append(rs.getString(4)).append('\n');
                }
            }
            return out.toString();
        });

        assertThat(plan).contains("image_versions_standby");
    }
}
