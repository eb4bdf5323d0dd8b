package dev.burrow.daemon.microvms.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.store.MicroVmRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls on one microVM fired at once, many times: each answers with a result or a typed
 * conflict (never anything a client would see as a 500), and afterwards the record agrees with
 * what the engine holds.
 */
class RacingCallsTest {

    private static final int ROUNDS = 60;

    @TempDir
    Path dir;
    Fixture f;
    final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void setUp() {
        f = new Fixture(dir, LifecycleSettings.DEFAULTS.withMemoryTier(Duration.ofSeconds(120)).withBusyWait(Duration.ofSeconds(20)));
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void aDeleteWhileTheRunIsPendingWaitsForItAndBothAnswer() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            List<MicroVmRecord> deleted = new ArrayList<>();
            Thread[] deleter = new Thread[1];
            MicroVmRecord run = f.lifecycle.run(new Lifecycle.Launch(f.tenant, "img", 1, f.engine.template("t1"), f.hooks, Map.of(),
                    Map.of(), null, f.clock.instant().plusSeconds(3600), null, null), null, pending -> {
                deleter[0] = Thread.ofVirtual().start(() -> call(() -> deleted.add(f.lifecycle.terminate(f.tenant, pending.id(), null))));
            });
            deleter[0].join(10_000);
            assertThat(run.state()).isEqualTo("RUNNING");
            assertThat(deleted).singleElement().extracting(MicroVmRecord::state).isEqualTo("TERMINATED");
            agreesWithTheEngine(run.id());
        }
        assertThat(unexpected).isEmpty();
    }

    @Test
    void suspendExecAndDeleteRacingOnOneMicroVmNeverFailUntyped() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            String id = f.run(new IdlePolicy(60, null, i % 2 == 0)).id();
            race(() -> f.lifecycle.suspend(f.tenant, id, null),
                    () -> {
                        try (Lifecycle.Use u = f.lifecycle.use(f.tenant, id, null)) {
                            return u.vm();
                        }
                    },
                    () -> f.lifecycle.terminate(f.tenant, id, null));
            assertThat(f.state(id)).isEqualTo("TERMINATED");
            agreesWithTheEngine(id);
        }
        assertThat(unexpected).isEmpty();
    }

    @Test
    void resumeAndTerminateRacingLeaveATrueState() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            String id = f.run(null).id();
            f.lifecycle.suspend(f.tenant, id, null);
            race(() -> f.lifecycle.resume(f.tenant, id, null), () -> f.lifecycle.terminate(f.tenant, id, null));
            assertThat(f.state(id)).isEqualTo("TERMINATED");
            agreesWithTheEngine(id);
        }
        assertThat(unexpected).isEmpty();
    }

    @Test
    void forkAndSuspendRacingLeaveTheSourceAndEveryForkInATrueState() throws Exception {
        for (int i = 0; i < ROUNDS / 2; i++) {
            String id = f.run(null).id();
            race(() -> f.lifecycle.fork(f.tenant, id, 2, r -> new Lifecycle.Launch(r.tenantId(), r.image(), r.version(), null, f.hooks,
                            r.env(), r.labels(), null, f.clock.instant().plusSeconds(3600), null, null), null),
                    () -> f.lifecycle.suspend(f.tenant, id, null),
                    () -> f.lifecycle.resume(f.tenant, id, null));
            for (MicroVmRecord r : f.records.listNonTerminal()) {
                agreesWithTheEngine(r.id());
                f.lifecycle.terminate(f.tenant, r.id(), null);
            }
        }
        assertThat(unexpected).isEmpty();
        assertThat(f.engine.vmms).isEmpty();
    }

    @Test
    void oneMicroVmsSlowSuspendDoesNotHoldUpAnotherMicroVmsTerminate() throws Exception {
        String slow = f.run(null).id();
        String other = f.run(null).id();
        CountDownLatch gate = new CountDownLatch(1);
        f.engine.suspendGate = gate;
        Thread suspending = Thread.ofVirtual().start(() -> call(() -> f.lifecycle.suspend(f.tenant, slow, null)));
        assertThat(f.engine.suspendEntered.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        assertThat(f.lifecycle.terminate(f.tenant, other, null).state()).isEqualTo("TERMINATED");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        assertThat(f.state(slow)).isEqualTo("SUSPENDING");
        gate.countDown();
        suspending.join(10_000);
        assertThat(f.state(slow)).isEqualTo("SUSPENDED");
        assertThat(unexpected).isEmpty();
    }

    /** Runs the calls at once; a ConflictException is a valid answer (the state forbade it), anything else is not. */
    @SafeVarargs
    private void race(Supplier<?>... calls) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Supplier<?> c : calls) {
                pool.submit(() -> {
                    start.await();
                    call(c::get);
                    return null;
                });
            }
            start.countDown();
        }
    }

    private void call(Runnable r) {
        try {
            r.run();
        } catch (ConflictException e) {
            // the state forbade it: a 409 with a reason
        } catch (Throwable t) {
            unexpected.add(t);
        }
    }

    /** The record's state is what the engine holds for it. */
    private void agreesWithTheEngine(String id) {
        MicroVmRecord r = f.get(id);
        FakeHypervisor.FakeVm vm = f.engine.vmms.get(id);
        switch (r.state()) {
            case "RUNNING" -> assertThat(vm).as(id + " RUNNING has a live, running VMM").isNotNull()
                    .satisfies(v -> assertThat(v.alive && !v.stopped).isTrue());
            case "SUSPENDED" -> {
                assertThat(f.engine.saved(id, r.savedId())).as(id + " SUSPENDED has its save").isPresent();
                if (vm != null) {
                    assertThat(vm.stopped).as(id + " a kept VMM is stopped").isTrue();
                }
            }
            case "TERMINATED", "FAILED" -> {
                assertThat(vm).as(id + " " + r.state() + " has no VMM").isNull();
                assertThat(f.engine.saves.getOrDefault(id, Map.of())).as(id + " has no saves").isEmpty();
            }
            default -> throw new AssertionError(id + " was left in " + r.state());
        }
    }
}
