package dev.burrow.daemon.microvms.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.metrics.Metrics;
import dev.burrow.daemon.metrics.RunMetrics;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.Template;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs against a standby pool (issue 13): each says how it started, and none waits for a refill. */
class StandbyRunsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    Fixture f;
    RunMetrics metrics;
    Template template;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir, LifecycleSettings.DEFAULTS);
        metrics = new RunMetrics();
        f.lifecycle.onRun(metrics);
        template = f.engine.template("t1"); // the template Fixture.run restores
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void aRunThatClaimsAStandbySaysSoAndOneWithoutSaysCold() throws Exception {
        MicroVmRecord cold = f.run(null);
        assertThat(f.lifecycle.startPath(cold.id())).contains(StartPath.COLD);

        f.engine.keepStandby(template, 1);
        f.engine.refills.release(1);
        await(() -> f.engine.standbyReady(template) == 1);
        MicroVmRecord claimed = f.run(null);

        assertThat(claimed.state()).isEqualTo("RUNNING");
        assertThat(f.lifecycle.startPath(claimed.id())).contains(StartPath.STANDBY);
        assertThat(metrics.runs(StartPath.STANDBY)).isEqualTo(1);
        assertThat(metrics.runs(StartPath.COLD)).isEqualTo(1);
    }

    @Test
    void fiftyBackToBackRunsWithAPoolOfTwoAndASlowRefillAllSucceedWithoutWaitingForARefill() throws Exception {
        f.engine.keepStandby(template, 2);
        f.engine.refills.release(2);
        await(() -> f.engine.standbyReady(template) == 2);
        List<StartPath> paths = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            if (i == 25) {
                // the refill catches up once, half-way: the next two runs claim again
                f.engine.refills.release(2);
                await(() -> f.engine.standbyReady(template) == 2);
            }
            MicroVmRecord r = f.run(null); // a refill never finishes otherwise: a run that waited for one would hang here
            assertThat(r.state()).as("run %d", i).isEqualTo("RUNNING");
            paths.add(f.lifecycle.startPath(r.id()).orElseThrow());
        }

        assertThat(paths).containsOnly(StartPath.STANDBY, StartPath.COLD);
        assertThat(paths.subList(0, 2)).containsOnly(StartPath.STANDBY);
        assertThat(paths.subList(2, 25)).containsOnly(StartPath.COLD);
        assertThat(paths.subList(25, 27)).containsOnly(StartPath.STANDBY);
        assertThat(paths.subList(27, 50)).containsOnly(StartPath.COLD);
        assertThat(metrics.runs(StartPath.STANDBY)).isEqualTo(4);
        assertThat(metrics.runs(StartPath.COLD)).isEqualTo(46);
        assertThat(f.engine.vmms).hasSize(50);
    }

    @Test
    void aFailedRunIsCountedAsAFailureNotAsAStart() {
        f.engine.failNext = "restore";
        assertThatThrownBy(() -> f.run(null)).isInstanceOf(EngineFailure.class);
        Metrics m = new Metrics();
        metrics.register(m);
        String text = m.text();

        assertThat(text).contains("burrow_microvm_run_failures_total 1\n", "burrow_microvm_runs_total{start=\"cold\"} 0\n");
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited %s", DEADLINE).isLessThan(deadline);
            Thread.sleep(1); // polling a condition with a deadline, not a fixed wait
        }
    }
}
