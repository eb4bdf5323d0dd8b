package dev.burrow.daemon.space;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.EntrypointStatus;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.SqliteImageStore;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Uploads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector's view of burrowd's database: every tenant's version rows, upload rows with their first use. */
class DatabaseReferrersTest {

    @TempDir
    Path dir;

    @Test
    void versionRowsOfEveryTenantAndUploadsWithTheirFirstUseAreRead() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (Database db = Database.open(dir.resolve("burrow.db"))) {
            Tenants tenants = new Tenants(db);
            String a = tenants.create("a", null).orElseThrow().id();
            String b = tenants.create("b", null).orElseThrow().id();
            Path versionDir = dir.resolve("tenants").resolve(a).resolve("images/app/1");
            new SqliteImageStore(db, a).createImage(new ImageVersion("app", 1, VersionState.READY, null, true, BuildSettings.NONE.withDefaults(),
                    "path:uploads/up1 (oci-archive)", now, now, EntrypointStatus.NONE, Map.of(), versionDir.resolve("template"),
                    versionDir.resolve("build.log")));
            Uploads uploads = new Uploads(db);
            uploads.record("up1", a, dir.resolve("uploads/up1").toString(), 10, "aa", now.plusSeconds(60));
            uploads.record("up2", b, dir.resolve("uploads/up2").toString(), 10, "bb", now.plusSeconds(60));
            DatabaseReferrers referrers = new DatabaseReferrers(db, uploads);

            assertThat(uploads.markUsed(b, "up1", now)).as("another tenant's upload").isFalse();
            assertThat(uploads.markUsed(a, "up1", now)).isTrue();
            assertThat(uploads.markUsed(a, "up1", now.plusSeconds(5))).isTrue();

            assertThat(referrers.versions()).containsExactly(new VersionRow(a, "app", 1, VersionState.READY, versionDir,
                    versionDir.resolve("template"), "path:uploads/up1 (oci-archive)"));
            assertThat(referrers.uploads()).extracting(UploadRow::id, UploadRow::usedAt)
                    .containsExactlyInAnyOrder(Tuple.tuple("up1", now), Tuple.tuple("up2", null));
            UploadRow up2 = referrers.uploads().stream().filter(u -> u.id().equals("up2")).findFirst().orElseThrow();
            assertThat(referrers.forgetUpload(up2)).isTrue();
            assertThat(referrers.forgetUpload(up2)).isFalse();
            assertThat(referrers.uploads()).extracting(UploadRow::id).containsExactly("up1");
        }
    }

    @Test
    void compactingFoldsTheWriteAheadLogIntoTheDatabaseAndTruncatesIt() throws Exception {
        try (Database db = Database.open(dir.resolve("burrow.db"))) {
            Tenants tenants = new Tenants(db);
            for (int i = 0; i < 200; i++) {
                tenants.create("t" + i, null).orElseThrow();
            }
            Path wal = dir.resolve("burrow.db-wal");
            assertThat(Files.size(wal)).isPositive();

            new DatabaseReferrers(db, new Uploads(db)).compact();

            assertThat(Files.size(wal)).isZero();
            assertThat(tenants.byName("t199")).isPresent();
        }
    }
}
