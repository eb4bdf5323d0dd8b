package dev.burrow.daemon.microvms.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.MicroVmRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's commits on a FULL database (issue 13): PENDING and its event in one transaction, synced
 * only when the caller answers with it; RUNNING synced. A VMM whose PENDING row a power loss
 * dropped is reaped at the next start.
 */
class RunCommitsTest {

    @TempDir
    Path dir;
    Fixture f;
    /** Each commit as it happened: true = synced. */
    final List<Boolean> commits = Collections.synchronizedList(new ArrayList<>());
    AutoCloseable counting;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir, LifecycleSettings.DEFAULTS, Database.Durability.FULL);
        counting = f.db.onCommit(c -> commits.add(c.synced()));
    }

    @AfterEach
    void tearDown() throws Exception {
        counting.close();
        f.close();
    }

    @Test
    void aRunThatNobodyAnswersWithPendingSyncsOnceWhenItIsRunning() {
        MicroVmRecord r = f.lifecycle.run(f.launch(null, Duration.ofHours(1), null), "req-run", null);

        assertThat(r.state()).isEqualTo("RUNNING");
        assertThat(commits).as("PENDING with its event unsynced, then RUNNING synced").containsExactly(false, true);
        assertThat(f.transitions(r.id())).containsExactly("→PENDING", "PENDING→RUNNING");
    }

    @Test
    void aRunThatAnswersWithPendingSyncsItBeforeTheCallerHearsIt() {
        List<Boolean> whenHeard = new ArrayList<>();
        MicroVmRecord r = f.lifecycle.run(f.launch(null, Duration.ofHours(1), null), "req-run", pending -> whenHeard.addAll(commits));

        assertThat(whenHeard).as("the caller answers 202 with a row already on disk").containsExactly(true);
        assertThat(commits).containsExactly(true, true);
        assertThat(f.transitions(r.id())).containsExactly("→PENDING", "PENDING→RUNNING");
    }

    @Test
    void aForksPendingRowIsNotSyncedOnItsOwn() {
        String source = f.lifecycle.run(f.launch(null, Duration.ofHours(1), null), "req-run", null).id();
        commits.clear();

        List<MicroVmRecord> forks = f.lifecycle.fork(f.tenant, source, 1, r -> f.launch(null, Duration.ofHours(1), null), "req-fork");

        assertThat(forks).hasSize(1);
        assertThat(commits).as("the fork's PENDING rides along with its RUNNING").contains(false);
        assertThat(f.transitions(forks.getFirst().id())).containsExactly("→PENDING", "PENDING→RUNNING");
    }

    @Test
    void aVmmWhosePendingRowAPowerLossDroppedIsReapedAtTheNextStart() {
        // the unsynced PENDING row is what a power loss may drop; the VMM normally dies with it, but if one lives on it is nobody's
        String id = f.lifecycle.run(f.launch(null, Duration.ofHours(1), null), "req-run", null).id();
        f.db.write(c -> {
            try (var ps = c.prepareStatement("DELETE FROM microvms WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate();
            }
        });

        f.restart();

        assertThat(f.engine.calls).contains("reap " + id);
        assertThat(f.engine.liveVmms()).doesNotContain(id);
    }
}
