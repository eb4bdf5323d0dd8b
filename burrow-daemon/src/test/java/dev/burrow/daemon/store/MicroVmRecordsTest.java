package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MicroVmRecordsTest {

    @TempDir
    Path dir;

    Database db;
    String tenantA;
    String tenantB;
    EventLog events;
    MicroVmRecords vms;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tenantA = new Tenants(db).create("a", null).orElseThrow().id();
        tenantB = new Tenants(db).create("b", null).orElseThrow().id();
        events = new EventLog(db);
        vms = new MicroVmRecords(db, events);
    }

    @AfterEach
    void close() {
        db.close();
    }

    static MicroVmRecord vm(String id, String tenant, String state, Map<String, String> labels) {
        Instant t = Instant.parse("2026-11-29T10:00:00.000000123Z");
        return new MicroVmRecord(id, tenant, "demo", 1, state, null, t, t, t.plusSeconds(3600), labels, Map.of("K", "V"),
                "{\"egress\":\"none\"}", null, null, "/var/lib/burrow/vms/" + id, "{\"maxIdleSeconds\":60}");
    }

    @Test
    void insertsAndReadsBackExactly() {
        MicroVmRecord r = vm("vm1", tenantA, "PENDING", Map.of("team", "a"));
        vms.insert(r);
        assertThat(vms.get(tenantA, "vm1")).contains(r);
        assertThat(vms.getAny("vm1")).contains(r);
        assertThatThrownBy(() -> vms.insert(r)).isInstanceOf(StoreException.class);
        assertThat(vms.setVmm("vm1", 4242L, 987654321L)).isTrue();
        assertThat(vms.get(tenantA, "vm1")).get().satisfies(x -> {
            assertThat(x.vmmPid()).isEqualTo(4242L);
            assertThat(x.vmmStartTime()).isEqualTo(987654321L);
        });
        assertThat(vms.setVmm("vm1", null, null)).isTrue();
        assertThat(vms.get(tenantA, "vm1").orElseThrow().vmmPid()).isNull();
        assertThat(vms.setVmm("nope", 1L, 1L)).isFalse();
    }

    @Test
    void transitionsAreCompareAndSet() {
        vms.insert(vm("vm1", tenantA, "PENDING", Map.of()));
        assertThat(vms.transition("vm1", "RUNNING", "SUSPENDING", null)).isFalse();
        MicroVmRecord unchanged = vms.get(tenantA, "vm1").orElseThrow();
        assertThat(unchanged.state()).isEqualTo("PENDING");
        assertThat(unchanged.updatedAt()).isEqualTo(Instant.parse("2026-11-29T10:00:00.000000123Z"));
        assertThat(events.since(null, 0, 100)).isEmpty();

        assertThat(vms.transition("vm1", "PENDING", "RUNNING", null, "req-1")).isTrue();
        assertThat(vms.transition("vm1", "RUNNING", "SUSPENDING", null)).isTrue();
        assertThat(vms.transition("vm1", "SUSPENDING", "SUSPENDED", "idle")).isTrue();
        MicroVmRecord suspended = vms.get(tenantA, "vm1").orElseThrow();
        assertThat(suspended.state()).isEqualTo("SUSPENDED");
        assertThat(suspended.stateReason()).isEqualTo("idle");
        assertThat(suspended.suspendedAt()).isNotNull();
        assertThat(suspended.updatedAt()).isAfter(unchanged.updatedAt());
        assertThat(vms.transition("vm1", null, "TERMINATING", "by request")).isTrue(); // unconditional
        assertThat(vms.transition("nope", null, "TERMINATING", null)).isFalse();

        assertThat(events.since(tenantA, 0, 100)).extracting(Event::from, Event::to)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("PENDING", "RUNNING"),
                        org.assertj.core.groups.Tuple.tuple("RUNNING", "SUSPENDING"),
                        org.assertj.core.groups.Tuple.tuple("SUSPENDING", "SUSPENDED"),
                        org.assertj.core.groups.Tuple.tuple("SUSPENDED", "TERMINATING"));
        assertThat(events.since(tenantA, 0, 1).getFirst().requestId()).isEqualTo("req-1");
    }

    @Test
    void listsPageStablyWithFilters() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String id = Ids.newId("vm");
            ids.add(id);
            vms.insert(vm(id, tenantA, i % 3 == 0 ? "SUSPENDED" : "RUNNING", Map.of("team", i % 2 == 0 ? "x" : "y", "n", "" + i)));
        }
        vms.insert(vm("vmzzz", tenantB, "RUNNING", Map.of("team", "x")));
        List<String> sorted = ids.stream().sorted().toList();

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<MicroVmRecord> page = vms.list(tenantA, List.of(), Map.of(), 10, cursor);
            page.items().forEach(r -> seen.add(r.id()));
            cursor = page.nextCursor();
            pages++;
            if (pages == 1) {
                // a row added behind the cursor does not shift later pages
                vms.insert(vm("vm0", tenantA, "RUNNING", Map.of()));
            }
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(sorted);

        assertThat(vms.list(tenantA, "SUSPENDED", null, 100, null).items())
                .hasSize(9).allSatisfy(r -> assertThat(r.state()).isEqualTo("SUSPENDED"));
        assertThat(vms.list(tenantA, null, "team=x", 100, null).items())
                .hasSize(13).allSatisfy(r -> assertThat(r.labels()).containsEntry("team", "x"));
        assertThat(vms.list(tenantA, List.of("RUNNING", "SUSPENDED"), Map.of("team", "x", "n", "6"), 100, null).items())
                .singleElement().satisfies(r -> assertThat(r.labels()).containsEntry("n", "6"));
        assertThat(vms.list(tenantA, List.of(), Map.of(), 26, null).nextCursor()).isNull();
        assertThatThrownBy(() -> vms.list(tenantA, null, "nolabel", 10, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tenantsNeverSeeEachOthersMicroVms() {
        vms.insert(vm("vm1", tenantA, "RUNNING", Map.of("team", "a")));
        assertThat(vms.get(tenantB, "vm1")).isEmpty();
        assertThat(vms.list(tenantB, List.of(), Map.of(), 100, null).items()).isEmpty();
        assertThat(vms.list(tenantA, List.of(), Map.of(), 100, null).items()).hasSize(1);
    }

    @Test
    void listNonTerminalIsWhatReconcileSees() {
        vms.insert(vm("vm1", tenantA, "RUNNING", Map.of()));
        vms.insert(vm("vm2", tenantB, "SUSPENDING", Map.of()));
        vms.insert(vm("vm3", tenantA, "TERMINATED", Map.of()));
        vms.insert(vm("vm4", tenantA, "FAILED", Map.of()));
        assertThat(vms.listNonTerminal()).extracting(MicroVmRecord::id).containsExactly("vm1", "vm2");
        assertThat(vms.count(tenantA, "demo", 1, Set.of("RUNNING"))).isEqualTo(1);
        assertThat(vms.count(tenantA, "demo", null, null)).isEqualTo(3);
    }
}
