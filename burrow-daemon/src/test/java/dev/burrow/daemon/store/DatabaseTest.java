package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {

    @TempDir
    Path dir;

    @Test
    void migrationsApplyOnceAndAreRecorded() throws Exception {
        Path file = dir.resolve("burrow.db");
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isEqualTo(10);
            assertThat(versions(db)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        }
        try (Database db = Database.open(file)) { // reopening changes nothing
            assertThat(db.schemaVersion()).isEqualTo(10);
            assertThat(versions(db)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
            // V2: a suspended microVM's committed save is a column of its row
            int columns = db.read(c -> {
                try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT saved_id, suspension_tier FROM microvms")) {
                    return rs.getMetaData().getColumnCount();
                }
            });
            assertThat(columns).isEqualTo(2);
            assertThat(tables(db)).contains("tenants", "api_keys", "images", "image_versions", "microvms", "events",
                    "uploads", "idempotency_keys", "schema_version", "tokens", "image_tags", "aws_credentials");
        }
    }

    @Test
    void reopeningKeepsData() {
        Path file = dir.resolve("burrow.db");
        String id;
        try (Database db = Database.open(file)) {
            id = new Tenants(db).create("acme", null).orElseThrow().id();
        }
        try (Database db = Database.open(file)) {
            assertThat(new Tenants(db).get(id)).map(Tenant::name).contains("acme");
        }
    }

    @Test
    void aNewerSchemaIsRefused() throws Exception {
        Path file = dir.resolve("burrow.db");
        Database.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO schema_version(version, name, checksum, applied_at) VALUES (99, 'future', 'x', '2030-01-01T00:00:00Z')");
        }
        assertThatThrownBy(() -> Database.open(file))
                .isInstanceOf(SchemaTooNewException.class)
                .hasMessage("database schema version 99 is newer than this burrowd (knows up to 10); upgrade burrowd");
    }

    @Test
    void walIsOnAndForeignKeysAreEnforced() {
        try (Database db = Database.open(dir.resolve("burrow.db"))) {
            String readerJournal = db.read(c -> pragma(c, "journal_mode"));
            String readerFk = db.read(c -> pragma(c, "foreign_keys"));
            String readerBusy = db.read(c -> pragma(c, "busy_timeout"));
            String writerSync = db.write(c -> pragma(c, "synchronous"));
            String writerJournal = db.write(c -> pragma(c, "journal_mode"));
            String writerFk = db.write(c -> pragma(c, "foreign_keys"));
            assertThat(readerJournal).isEqualTo("wal");
            assertThat(writerJournal).isEqualTo("wal");
            assertThat(readerFk).isEqualTo("1");
            assertThat(writerFk).isEqualTo("1");
            assertThat(readerBusy).isEqualTo("5000");
            assertThat(writerSync).isEqualTo("2"); // FULL on the writer
            assertThatThrownBy(() -> db.write(c -> {
                try (Statement st = c.createStatement()) {
                    return st.executeUpdate("INSERT INTO api_keys(id, tenant_id, hash, prefix, admin, created_at) "
                            + "VALUES ('k', 'no-such-tenant', 'h', 'p', 0, 'now')");
                }
            })).isInstanceOf(StoreException.class).hasMessageContaining("FOREIGN KEY");
        }
    }

    @Test
    void aFailedWriteRollsBackAndReadsAreReadOnly() {
        try (Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED)) {
            assertThatThrownBy(() -> db.write(c -> {
                Tenants.insert(c, "half", null);
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            assertThat(new Tenants(db).byName("half")).isEmpty();
            assertThatThrownBy(() -> db.read(c -> {
                try (Statement st = c.createStatement()) {
                    return st.executeUpdate("DELETE FROM tenants");
                }
            })).isInstanceOf(StoreException.class);
        }
    }

    @Test
    void nestedWritesAreRefusedAndAfterCommitRunsOnlyOnCommit() {
        try (Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED)) {
            assertThatThrownBy(() -> db.write(c -> db.write(c2 -> 1))).isInstanceOf(IllegalStateException.class);
            AtomicInteger ran = new AtomicInteger();
            db.write(c -> {
                db.afterCommit(ran::incrementAndGet);
                return null;
            });
            assertThatThrownBy(() -> db.write(c -> {
                db.afterCommit(ran::incrementAndGet);
                throw new IllegalStateException("rolled back");
            }));
            assertThat(ran).hasValue(1);
        }
    }

    @Test
    void aClosedDatabaseRefusesWork() {
        Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        db.close();
        db.close();
        assertThatThrownBy(() -> db.read(c -> 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> db.write(c -> 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readersRunConcurrentlyWithTheWriter() throws Exception {
        try (Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED)) {
            EventLog log = new EventLog(db);
            java.util.concurrent.atomic.AtomicInteger maxSeen = new java.util.concurrent.atomic.AtomicInteger();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        log.append("k", "r" + i, null, null, null, null, "t");
                    }
                    return null;
                }));
                for (int r = 0; r < 4 * Database.MAX_READERS; r++) {
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            int n = log.since("t", 0, 1000).size();
                            maxSeen.accumulateAndGet(n, Math::max);
                        }
                        return null;
                    }));
                }
                for (var f : fs) {
                    f.get();
                }
            }
            assertThat(log.since("t", 0, 1000)).hasSize(200);
            assertThat(maxSeen.get()).isBetween(0, 200);
        }
    }

    @Test
    void discoversMigrationsInsideAJar() throws Exception {
        Path jar = dir.resolve("m.jar");
        try (var out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(jar))) {
            for (String[] e : new String[][] {
                    {"other/", null},
                    {"other/migration/", null}, // jar tools write directory entries; getResources needs them
                    {"other/migration/V1__first.sql", "CREATE TABLE a (x INT);"},
                    {"other/migration/V2__second.sql", "CREATE TABLE b (y INT); INSERT INTO b VALUES (1);"},
                    {"other/migration/README.txt", "not a migration"}}) {
                out.putNextEntry(new java.util.jar.JarEntry(e[0]));
                if (e[1] != null) {
                    out.write(e[1].getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                out.closeEntry();
            }
        }
        try (var loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
            List<Migrations.Migration> ms = Migrations.discover(loader, "other/migration");
            assertThat(ms).extracting(Migrations.Migration::version, Migrations.Migration::name)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "first"), org.assertj.core.groups.Tuple.tuple(2, "second"));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("other.db"))) {
                Migrations.migrate(c, ms);
                Migrations.migrate(c, ms);
                assertThat(Migrations.current(c)).isEqualTo(2);
                assertThatThrownBy(() -> Migrations.migrate(c, ms.subList(0, 1)))
                        .hasMessage("database schema version 2 is newer than this burrowd (knows up to 1); upgrade burrowd");
            }
        }
    }

    @Test
    void splitsMigrationStatements() {
        assertThat(Migrations.split("""
                -- a comment; with a semicolon
                CREATE TABLE a (x TEXT DEFAULT 'a;b'); /* block; comment */
                CREATE TABLE "b;c" (y INT);
                """)).containsExactly("CREATE TABLE a (x TEXT DEFAULT 'a;b')", "CREATE TABLE \"b;c\" (y INT)");
    }

    private static List<Integer> versions(Database db) {
        return db.read(c -> {
            List<Integer> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT version FROM schema_version ORDER BY version");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1));
                }
            }
            return out;
        });
    }

    private static List<String> tables(Database db) {
        return db.read(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM sqlite_master WHERE type = 'table'");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    static String pragma(Connection c, String name) throws java.sql.SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
