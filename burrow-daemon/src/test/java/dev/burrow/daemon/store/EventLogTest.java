package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {

    @TempDir
    Path dir;

    @Test
    void sinceReturnsEventsInSeqOrderPerTenant() throws Exception {
        try (Database db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED)) {
            EventLog log = new EventLog(db);
            List<Event> heard = new CopyOnWriteArrayList<>();
            AutoCloseable sub = log.onAppend(e -> {
                // woken after commit: the event is already readable
                assertThat(log.since(null, e.seq() - 1, 1)).containsExactly(e);
                heard.add(e);
            });
            long s1 = log.append("microvm.state", "vm1", "PENDING", "RUNNING", null, "r1", "ta");
            long s2 = log.append("image.version", "demo:1", "BUILDING", "READY", null, "r2", "tb");
            long s3 = log.append("microvm.state", "vm1", "RUNNING", "SUSPENDED", "idle", null, "ta");
            assertThat(s1).isLessThan(s2);
            assertThat(s2).isLessThan(s3);
            assertThat(log.lastSeq()).isEqualTo(s3);

            assertThat(log.since("ta", 0, 100)).extracting(Event::seq).containsExactly(s1, s3);
            assertThat(log.since("ta", s1, 100)).extracting(Event::seq).containsExactly(s3);
            assertThat(log.since(null, 0, 100)).extracting(Event::seq).containsExactly(s1, s2, s3);
            assertThat(log.since(null, 0, 2)).extracting(Event::seq).containsExactly(s1, s2);
            assertThat(log.since("tb", s3, 100)).isEmpty();
            Event e = log.since("ta", s1, 1).getFirst();
            assertThat(e).extracting(Event::kind, Event::resourceId, Event::from, Event::to, Event::reason, Event::tenantId)
                    .containsExactly("microvm.state", "vm1", "RUNNING", "SUSPENDED", "idle", "ta");
            assertThat(heard).extracting(Event::seq).containsExactly(s1, s2, s3);

            sub.close();
            log.append("x", null, null, null, null, null, null);
            assertThat(heard).hasSize(3);

            assertThat(log.deleteOlderThan(Instant.now().plusSeconds(1))).isEqualTo(4);
            long s5 = log.append("x", null, null, null, null, null, null);
            assertThat(s5).as("seqs are never reused").isGreaterThan(s3 + 1);
        }
    }
}
