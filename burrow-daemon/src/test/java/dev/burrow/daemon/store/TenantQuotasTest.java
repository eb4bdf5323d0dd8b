package dev.burrow.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.VersionState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("security")
class TenantQuotasTest {

    @TempDir
    Path dir;
    private Database db;
    private Tenants tenants;
    private TenantQuotas quotas;
    private MicroVmRecords records;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        tenants = new Tenants(db);
        quotas = new TenantQuotas(db);
        records = new MicroVmRecords(db, new EventLog(db));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private String tenant(Quotas q) {
        return tenants.create("t" + System.nanoTime(), q).orElseThrow().id();
    }

    private static MicroVmRecord vm(String id, String tenant, String state) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        return new MicroVmRecord(id, tenant, "demo", 1, state, null, t, t, t.plusSeconds(3600), Map.of(), Map.of(), null,
                null, null, null);
    }

    /** Inserts a microVM row the way a run does: inside the scope of a hold of one. */
    private void admitted(String id, String tenant, int vcpus, int memoryMiB) {
        String hold = quotas.reserve(tenant, 1, vcpus, memoryMiB);
        ScopedValue.where(TenantQuotas.HOLD, hold).run(() -> records.insert(vm(id, tenant, "PENDING")));
        quotas.release(hold);
        assertThat(records.transition(id, "PENDING", "RUNNING", null)).isTrue();
    }

    @Test
    void aRunPastTheMicroVmQuotaIsRefusedWithTheQuotaItsLimitAndWhatIsUsed() {
        String t = tenant(new Quotas(2, null, null, null));
        admitted("vm1", t, 1, 128);
        admitted("vm2", t, 1, 128);
        assertThatThrownBy(() -> quotas.reserve(t, 1, 1, 128))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> {
                    assertThat(e.quota()).isEqualTo("microvms");
                    assertThat(e.limit()).isEqualTo(2);
                    assertThat(e.current()).isEqualTo(2);
                    assertThat(e.requested()).isEqualTo(1);
                    assertThat(e.getMessage()).contains("terminate").contains("PATCH /v1/admin/tenants");
                });
        assertThat(records.transition("vm2", "RUNNING", "TERMINATED", null)).isTrue();
        quotas.release(quotas.reserve(t, 1, 1, 128)); // a terminated microVM no longer counts
    }

    @Test
    void aForkOfNCountsNAgainstEveryQuota() {
        String t = tenant(new Quotas(10, 4, 4096, null));
        admitted("vm1", t, 2, 512);
        assertThatThrownBy(() -> quotas.reserve(t, 2, 2, 512))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> {
                    assertThat(e.quota()).isEqualTo("vcpus");
                    assertThat(e.current()).isEqualTo(2);
                    assertThat(e.requested()).isEqualTo(4);
                });
        quotas.release(quotas.reserve(t, 1, 2, 512));
    }

    @Test
    void concurrentRunsAtTheEdgeAdmitExactlyWhatTheQuotaAllows() throws Exception {
        String t = tenant(new Quotas(null, 4, null, null));
        int callers = 16;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    try {
                        quotas.reserve(t, 1, 1, 128);
                        return true;
                    } catch (QuotaExceededException e) {
                        return false;
                    }
                }));
            }
            go.countDown();
            int admitted = 0;
            for (Future<Boolean> f : results) {
                admitted += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(admitted).isEqualTo(4);
        }
        assertThat(quotas.usage(t).vcpus()).isEqualTo(4);
    }

    @Test
    void aRecordedMicroVmTakesItsPlaceInTheHoldSoItIsCountedOnce() {
        String t = tenant(Quotas.UNLIMITED);
        String hold = quotas.reserve(t, 2, 2, 256);
        assertThat(quotas.usage(t)).extracting(Usage::microvms, Usage::vcpus, Usage::memoryMiB).containsExactly(2L, 4L, 512L);
        ScopedValue.where(TenantQuotas.HOLD, hold).run(() -> records.insert(vm("vm1", t, "PENDING")));
        assertThat(quotas.usage(t)).extracting(Usage::microvms, Usage::vcpus, Usage::memoryMiB).containsExactly(2L, 4L, 512L);
        quotas.release(hold); // the second fork never came
        assertThat(quotas.usage(t)).extracting(Usage::microvms, Usage::vcpus, Usage::memoryMiB).containsExactly(1L, 2L, 256L);
    }

    @Test
    void aResumePastTheVcpuQuotaIsRefusedAndTheMicroVmStaysSuspended() {
        String t = tenant(new Quotas(null, 3, null, null));
        admitted("vm1", t, 2, 256);
        assertThat(records.transition("vm1", "RUNNING", "SUSPENDING", null)).isTrue();
        assertThat(records.transition("vm1", "SUSPENDING", "SUSPENDED", null, null,
                MicroVmRecords.Suspension.saved("s1", "disk", 300L << 20))).isTrue();
        admitted("vm2", t, 2, 256);
        assertThat(quotas.usage(t)).extracting(Usage::vcpus, Usage::suspendedMiB).containsExactly(2L, 300L);
        assertThatThrownBy(() -> records.transition("vm1", "SUSPENDED", "RESUMING", "resumed"))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> assertThat(e.quota()).isEqualTo("vcpus"));
        assertThat(records.getAny("vm1").orElseThrow().state()).isEqualTo("SUSPENDED");
        assertThat(records.transition("vm2", "RUNNING", "TERMINATED", null)).isTrue();
        assertThat(records.transition("vm1", "SUSPENDED", "RESUMING", "resumed")).isTrue();
    }

    @Test
    void aSuspendPastTheSuspendedQuotaIsRefusedBeforeTheSaveIsWritten() {
        String t = tenant(new Quotas(null, null, null, 300));
        admitted("vm1", t, 1, 256);
        admitted("vm2", t, 1, 256);
        quotas.checkSuspend(t, "vm1");
        assertThat(records.transition("vm1", "RUNNING", "SUSPENDING", null)).isTrue();
        assertThat(records.transition("vm1", "SUSPENDING", "SUSPENDED", null, null,
                MicroVmRecords.Suspension.saved("s1", "disk", 200L << 20))).isTrue();
        assertThatThrownBy(() -> quotas.checkSuspend(t, "vm2"))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> {
                    assertThat(e.quota()).isEqualTo("suspendedMiB");
                    assertThat(e.current()).isEqualTo(200);
                    assertThat(e.requested()).isEqualTo(256);
                });
    }

    @Test
    void aBuildPastTheBuildsQuotaIsRefusedUntilARunningBuildEnds() {
        String t = tenant(new Quotas(null, null, null, null, null, 1));
        SqliteImageStore store = new SqliteImageStore(db, t);
        assertThat(store.createImage(SqliteImageStoreTest.pending("a", 1))).isTrue();
        assertThatThrownBy(() -> store.createImage(SqliteImageStoreTest.pending("b", 1)))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> assertThat(e.quota()).isEqualTo("builds"));
        assertThat(store.versions("b")).isEmpty(); // refused in the insert's transaction: nothing of it was stored
        ImageVersion a = store.version("a", 1).orElseThrow();
        store.update(new ImageVersion(a.image(), 1, VersionState.READY, null, true, a.settings(), a.source(), a.createdAt(),
                Instant.now(), null, null, null, null));
        assertThat(store.createImage(SqliteImageStoreTest.pending("b", 1))).isTrue();
    }

    @Test
    void anUploadPastTheUploadsQuotaIsRefusedAndExpiredUploadsDoNotCount() {
        String t = tenant(new Quotas(null, null, null, null, 10, null));
        Uploads uploads = new Uploads(db);
        Instant later = Instant.now().plusSeconds(3600);
        uploads.record("up0", t, "/tmp/up0", 8L << 20, "00", Instant.now().minusSeconds(1));
        assertThat(quotas.uploadRoom(t)).isEqualTo(10L << 20); // expired: the janitor deletes it, it no longer counts
        uploads.record("up1", t, "/tmp/up1", 6L << 20, "00", later);
        assertThat(quotas.uploadRoom(t)).isEqualTo(4L << 20);
        assertThatThrownBy(() -> uploads.record("up2", t, "/tmp/up2", 5L << 20, "00", later))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> {
                    assertThat(e.quota()).isEqualTo("uploadsMiB");
                    assertThat(e.current()).isEqualTo(6);
                    assertThat(e.requested()).isEqualTo(5);
                });
        assertThat(uploads.get(t, "up2")).isEmpty();
    }

    @Test
    void holdsLeftByAStoppedDaemonAreClearedAtStart() {
        String t = tenant(new Quotas(1, null, null, null));
        quotas.reserve(t, 1, 1, 128);
        assertThatThrownBy(() -> quotas.reserve(t, 1, 1, 128)).isInstanceOf(QuotaExceededException.class);
        quotas.clearHolds();
        quotas.release(quotas.reserve(t, 1, 1, 128));
    }
}
