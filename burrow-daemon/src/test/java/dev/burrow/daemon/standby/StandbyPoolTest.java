package dev.burrow.daemon.standby;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.metrics.Metrics;
import dev.burrow.daemon.microvms.lifecycle.FakeHypervisor;
import dev.burrow.vmm.Template;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The standby policy over a fake engine: counts, the memory budget, host memory, and versions that stop wanting. */
class StandbyPoolTest {

    private final FakeHypervisor engine = new FakeHypervisor();
    private final Template a = engine.template("a");
    private final Template b = engine.template("b");
    private final List<StandbyPool.Want> wants = new CopyOnWriteArrayList<>();
    private volatile long availableMiB = 64 * 1024;
    private StandbyPool pool;

    private StandbyPool pool(long budgetMiB) {
        pool = new StandbyPool(engine, () -> List.copyOf(wants), budgetMiB, 1024, () -> availableMiB);
        return pool;
    }

    private static StandbyPool.Want want(Template t, int count, int memoryMiB) {
        return new StandbyPool.Want("tenant/" + t.id() + ":1", count, memoryMiB, () -> t);
    }

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void aVersionThatAsksForStandbysGetsThemWhenTheBudgetAllows() {
        wants.add(want(a, 2, 512));

        StandbyPool.Plan plan = pool(1024).sweep();

        assertThat(plan.kept()).isEqualTo(Map.of("tenant/a:1", 2));
        assertThat(plan.chargedMiB()).isEqualTo(1024);
        assertThat(engine.standbyWanted(a)).isEqualTo(2);
    }

    @Test
    void theBudgetGivesEveryVersionOneBeforeAnyGetsTwoAndKeepsNoMore() {
        wants.add(want(a, 3, 512));
        wants.add(want(b, 3, 512));

        StandbyPool.Plan plan = pool(1536).sweep();

        assertThat(plan.kept()).containsEntry("tenant/a:1", 2).containsEntry("tenant/b:1", 1);
        assertThat(plan.chargedMiB()).isEqualTo(1536);
    }

    @Test
    void aVersionLargerThanWhatIsLeftDoesNotStopASmallerOneAfterIt() {
        wants.add(want(a, 1, 2048));
        wants.add(want(b, 1, 256));

        StandbyPool.Plan plan = pool(1024).sweep();

        assertThat(plan.kept()).isEqualTo(Map.of("tenant/b:1", 1));
        assertThat(engine.standbyWanted(a)).isZero();
    }

    @Test
    void aZeroBudgetKeepsNoStandbyAtAll() {
        wants.add(want(a, 2, 256));

        assertThat(pool(0).sweep().kept()).isEmpty();
        assertThat(engine.standbyCalls).isEmpty();
    }

    @Test
    void theHostsFreeMemoryBoundsNewStandbysButNotThoseAlreadyKept() {
        wants.add(want(a, 1, 512));
        pool(4096).sweep();
        wants.set(0, want(a, 3, 512));
        availableMiB = 1024 + 600; // room above the reserve for one more

        StandbyPool.Plan plan = pool.sweep();

        assertThat(plan.kept()).isEqualTo(Map.of("tenant/a:1", 2));
    }

    @Test
    void aVersionNoLongerWantedLetsItsStandbysGo() {
        wants.add(want(a, 2, 256));
        wants.add(want(b, 1, 256));
        pool(4096).sweep();

        wants.removeFirst(); // deactivated, deleted or superseded: no longer listed
        StandbyPool.Plan plan = pool.sweep();

        assertThat(plan.kept()).isEqualTo(Map.of("tenant/b:1", 1));
        assertThat(engine.standbyWanted(a)).isZero();
        assertThat(engine.standbyCalls).containsExactly("a 2", "b 1", "a 0");
    }

    @Test
    void anUnchangedCountIsNotToldTheEngineAgain() {
        wants.add(want(a, 2, 256));
        pool(4096).sweep();
        pool.sweep();
        pool.sweep();

        assertThat(engine.standbyCalls).containsExactly("a 2");
    }

    @Test
    void closingThePoolEndsEveryStandby() {
        wants.add(want(a, 2, 256));
        pool(4096).sweep();

        pool.close();

        assertThat(engine.standbyWanted(a)).isZero();
    }

    @Test
    void theGaugesSayWhatIsKeptAndReadyWithoutNamingAVersion() {
        wants.add(want(a, 2, 256));
        pool(4096).sweep();
        engine.refills.release(1);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (pool.ready() < 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }

        Metrics m = new Metrics();
        pool.register(m);
        String text = m.text();

        assertThat(text).contains("burrow_standby_ready 1\n", "burrow_standby_kept 2\n", "burrow_standby_memory_mib 512\n",
                "burrow_standby_budget_mib 4096\n").doesNotContain("tenant");
    }
}
