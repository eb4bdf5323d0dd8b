package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Database#writeUnsynced} on a FULL database, and the commit hook that counts a call's commits. */
class UnsyncedWritesTest {

    @TempDir
    Path dir;
    Database db;
    final List<Boolean> commits = Collections.synchronizedList(new ArrayList<>());
    AutoCloseable counting;

    @BeforeEach
    void setUp() {
        db = Database.open(dir.resolve("burrow.db"));
        counting = db.onCommit(c -> commits.add(c.synced()));
    }

    @AfterEach
    void tearDown() throws Exception {
        counting.close();
        db.close();
    }

    @Test
    void anUnsyncedWriteRunsWithSynchronousNormalAndTheNextWriteWithFullAgain() {
        assertThat(db.writeUnsynced(UnsyncedWritesTest::synchronous)).as("NORMAL").isEqualTo(1);
        assertThat(db.write(UnsyncedWritesTest::synchronous)).as("FULL").isEqualTo(2);
        assertThat(db.writeUnsynced(UnsyncedWritesTest::synchronous)).isEqualTo(1);
        assertThat(db.writeUnsynced(UnsyncedWritesTest::synchronous)).isEqualTo(1);
        assertThat(db.write(UnsyncedWritesTest::synchronous)).isEqualTo(2);
        assertThat(commits).containsExactly(false, true, false, false, true);
    }

    @Test
    void anUnsyncedWriteIsSeenByTheNextReadAndAfterReopening() {
        Tenants tenants = new Tenants(db);
        String tenant = tenants.create("t", null).orElseThrow().id();
        TenantQuotas quotas = new TenantQuotas(db);
        String hold = quotas.reserve(tenant, 1, 1, 512);
        assertThat(countHolds()).isEqualTo(1);

        db.close();
        db = Database.open(dir.resolve("burrow.db"));
        assertThat(countHolds()).as("a burrowd crash or stop keeps it (the next start clears holds itself)").isEqualTo(1);
        new TenantQuotas(db).release(hold);
        assertThat(countHolds()).isZero();
    }

    @Test
    void aQuotaHoldIsTakenAndDroppedWithoutASync() {
        String tenant = new Tenants(db).create("t", null).orElseThrow().id();
        commits.clear();
        TenantQuotas quotas = new TenantQuotas(db);

        quotas.release(quotas.reserve(tenant, 1, 1, 512));

        assertThat(commits).containsExactly(false, false);
    }

    @Test
    void anIdempotencyKeyIsReservedUnsyncedAndItsResultStoredSynced() {
        String tenant = new Tenants(db).create("t", null).orElseThrow().id();
        IdempotencyKeys keys = new IdempotencyKeys(db);
        commits.clear();

        assertThat(keys.reserve(tenant, "k1", "POST", "/v1/microvms", "h")).isInstanceOf(IdempotencyKeys.Reservation.Proceed.class);
        keys.complete(tenant, "k1", 201, "{}");

        assertThat(commits).containsExactly(false, true);
        assertThat(keys.reserve(tenant, "k1", "POST", "/v1/microvms", "h")).isInstanceOf(IdempotencyKeys.Reservation.Replay.class);
    }

    @Test
    void aRolledBackWriteIsNoCommit() {
        assertThatThrownBy(() -> db.writeUnsynced(c -> {
            throw new IllegalStateException("no");
        })).hasMessage("no");
        assertThat(commits).isEmpty();
        assertThat(db.write(UnsyncedWritesTest::synchronous)).isEqualTo(2);
    }

    @Test
    void aRelaxedDatabaseNeverSyncs() throws Exception {
        try (Database relaxed = Database.open(dir.resolve("relaxed.db"), Database.Durability.RELAXED)) {
            List<Boolean> seen = new ArrayList<>();
            relaxed.onCommit(c -> seen.add(c.synced()));
            assertThat(relaxed.write(UnsyncedWritesTest::synchronous)).isEqualTo(1);
            assertThat(relaxed.writeUnsynced(UnsyncedWritesTest::synchronous)).isEqualTo(1);
            assertThat(seen).containsExactly(false, false);
        }
    }

    private int countHolds() {
        return db.read(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM quota_holds")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private static int synchronous(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
