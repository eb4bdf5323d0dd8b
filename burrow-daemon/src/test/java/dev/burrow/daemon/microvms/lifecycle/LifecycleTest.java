package dev.burrow.daemon.microvms.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.microvms.HookFailedException;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.MicroVmRecords;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every lifecycle transition and timer rule against a fake engine and a clock that only moves when told. */
class LifecycleTest {

    @TempDir
    Path dir;
    Fixture f;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir, LifecycleSettings.DEFAULTS.withMemoryTier(Duration.ofSeconds(120)).withBusyWait(Duration.ofSeconds(5)));
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void theTransitionTableAllowsOnlyTheMovesTheDiagramDraws() {
        assertThat(MicroVmState.TERMINATED.next()).isEmpty();
        assertThat(MicroVmState.FAILED.next()).isEmpty();
        assertThat(MicroVmState.SUSPENDED.canMoveTo(MicroVmState.SUSPENDING)).isFalse();
        assertThat(MicroVmState.SUSPENDED.canMoveTo(MicroVmState.RUNNING)).as("a resume always passes RESUMING").isFalse();
        assertThat(MicroVmState.RUNNING.canMoveTo(MicroVmState.RESUMING)).isFalse();
        assertThat(MicroVmState.TERMINATING.next()).containsExactly(MicroVmState.TERMINATED);
        for (MicroVmState s : MicroVmState.values()) {
            assertThat(s.canMoveTo(s)).as(s + " never moves to itself").isFalse();
            if (!s.terminal() && s != MicroVmState.TERMINATING) {
                assertThat(s.next()).as(s + " can always be ended").containsAnyOf(MicroVmState.TERMINATING, MicroVmState.FAILED);
            }
        }
    }

    @Test
    void aRunSuspendResumeAndTerminateRecordEveryTransitionAsAnEvent() {
        String id = f.run(null).id();
        f.lifecycle.suspend(f.tenant, id, "r1");
        f.lifecycle.resume(f.tenant, id, "r2");
        f.lifecycle.terminate(f.tenant, id, "r3");
        assertThat(f.transitions(id)).containsExactly("→PENDING", "PENDING→RUNNING", "RUNNING→SUSPENDING", "SUSPENDING→SUSPENDED",
                "SUSPENDED→RESUMING", "RESUMING→RUNNING", "RUNNING→TERMINATING", "TERMINATING→TERMINATED");
        assertThat(f.engine.vmms).isEmpty();
        assertThat(f.engine.saves.getOrDefault(id, java.util.Map.of())).isEmpty();
        assertThat(f.lifecycle.supervised()).isZero();
    }

    @Test
    void aSuspendCommitsItsSavedStateInTheSameTransactionAsSuspended() {
        String id = f.run(null).id();
        MicroVmRecord r = f.lifecycle.suspend(f.tenant, id, null);
        assertThat(r.state()).isEqualTo("SUSPENDED");
        assertThat(r.savedId()).isNotNull();
        assertThat(f.engine.saved(id, r.savedId())).isPresent();
        assertThat(r.suspensionTier()).isEqualTo("memory");
        assertThat(r.suspendedAt()).isEqualTo(f.clock.instant());
    }

    @Test
    void theSecondSuspendReplacesTheFirstSaveAndResumeUsesTheNewest() {
        String id = f.run(null).id();
        String first = f.lifecycle.suspend(f.tenant, id, null).savedId();
        f.lifecycle.resume(f.tenant, id, null);
        String second = f.lifecycle.suspend(f.tenant, id, null).savedId();
        assertThat(second).isNotEqualTo(first);
        assertThat(f.engine.saves.get(id).keySet()).containsExactly(second);
    }

    @Test
    void aFailedSuspendWhoseVmmLivesLeavesTheMicroVmRunning() {
        String id = f.run(null).id();
        f.engine.failNext = "suspend";
        assertThatThrownBy(() -> f.lifecycle.suspend(f.tenant, id, null)).isInstanceOf(EngineFailure.class);
        assertThat(f.state(id)).isEqualTo("RUNNING");
        assertThat(f.get(id).stateReason()).contains("suspend failed");
    }

    @Test
    void aFailedSuspendThatKilledTheVmmIsFailedAndReclaimed() {
        String id = f.run(null).id();
        f.engine.failNext = "suspend";
        f.engine.killVmmOnFailure = true;
        assertThatThrownBy(() -> f.lifecycle.suspend(f.tenant, id, null)).isInstanceOf(EngineFailure.class);
        assertThat(f.state(id)).isEqualTo("FAILED");
        assertThat(f.engine.calls).contains("discardSaved " + id + " null");
    }

    @Test
    void suspendAndResumeAreIdempotentAndOtherStatesAnswerConflict() {
        String id = f.run(null).id();
        f.lifecycle.resume(f.tenant, id, null);
        assertThat(f.state(id)).isEqualTo("RUNNING");
        f.lifecycle.suspend(f.tenant, id, null);
        f.lifecycle.suspend(f.tenant, id, null);
        assertThat(f.engine.calls.stream().filter(c -> c.startsWith("suspend")).count()).isEqualTo(1);
        f.lifecycle.terminate(f.tenant, id, null);
        assertThatThrownBy(() -> f.lifecycle.resume(f.tenant, id, null)).isInstanceOf(ConflictException.class);
        assertThat(f.lifecycle.terminate(f.tenant, id, null).state()).isEqualTo("TERMINATED");
    }

    // ---- idle policy ----------------------------------------------------------------------

    @Test
    void anIdleMicroVmSuspendsOnceMaxIdleSecondsHavePassedAndNotBefore() {
        String id = f.run(new IdlePolicy(30, null, false)).id();
        f.clock.advance(Duration.ofSeconds(29));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).isEmpty();
        f.clock.advance(Duration.ofSeconds(1));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).extracting(Lifecycle.Due::id).containsExactly(id);
        assertThat(f.state(id)).isEqualTo("SUSPENDED");
        assertThat(f.get(id).stateReason()).isNull();
        assertThat(f.transitions(id)).contains("RUNNING→SUSPENDING");
    }

    @Test
    void aRunningExecKeepsAMicroVmAwakeAndIdleTimeCountsFromItsEnd() {
        String id = f.run(new IdlePolicy(30, null, false)).id();
        Lifecycle.Use exec = f.lifecycle.use(f.tenant, id, null);
        f.clock.advance(Duration.ofMinutes(10));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).isEmpty();
        exec.close();
        f.clock.advance(Duration.ofSeconds(29));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).isEmpty();
        f.clock.advance(Duration.ofSeconds(1));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).hasSize(1);
        assertThat(f.state(id)).isEqualTo("SUSPENDED");
    }

    @Test
    void guestCpuAboveFivePercentIsActivityAndBelowItIsNot() {
        String busy = f.run(new IdlePolicy(30, null, false)).id();
        String quiet = f.run(new IdlePolicy(30, null, false)).id();
        f.cpu.put(busy, 0.50);
        f.cpu.put(quiet, 0.02);
        for (int s = 0; s < 40; s++) {
            f.clock.advance(Duration.ofSeconds(1));
            f.lifecycle.sampleOnce(f.clock.instant());
            f.lifecycle.runOnce(f.clock.instant());
        }
        assertThat(f.state(busy)).isEqualTo("RUNNING");
        assertThat(f.state(quiet)).isEqualTo("SUSPENDED");
        f.cpu.put(busy, 0.0);
        for (int s = 0; s < 40; s++) {
            f.clock.advance(Duration.ofSeconds(1));
            f.lifecycle.sampleOnce(f.clock.instant());
            f.lifecycle.runOnce(f.clock.instant());
        }
        assertThat(f.state(busy)).isEqualTo("SUSPENDED");
    }

    @Test
    void suspendedSecondsTerminatesASuspendedMicroVmButAManualSuspendWithZeroDoesNot() {
        String kept = f.run(new IdlePolicy(30, 60, false)).id();
        String zero = f.run(new IdlePolicy(30, 0, false)).id();
        f.lifecycle.suspend(f.tenant, zero, null); // manual: never terminates
        f.clock.advance(Duration.ofSeconds(30));
        f.lifecycle.runOnce(f.clock.instant());
        assertThat(f.state(kept)).isEqualTo("SUSPENDED");
        assertThat(f.state(zero)).isEqualTo("SUSPENDED");
        f.clock.advance(Duration.ofSeconds(59));
        f.lifecycle.runOnce(f.clock.instant());
        assertThat(f.state(kept)).isEqualTo("SUSPENDED");
        f.clock.advance(Duration.ofSeconds(1));
        f.lifecycle.runOnce(f.clock.instant());
        assertThat(f.state(kept)).isEqualTo("TERMINATED");
        assertThat(f.state(zero)).isEqualTo("SUSPENDED");
    }

    @Test
    void suspendedSecondsZeroTerminatesAnIdleMicroVmInsteadOfSuspendingIt() {
        String id = f.run(new IdlePolicy(30, 0, false)).id();
        f.clock.advance(Duration.ofSeconds(30));
        f.lifecycle.runOnce(f.clock.instant());
        assertThat(f.state(id)).isEqualTo("TERMINATED");
        assertThat(f.engine.calls).noneMatch(c -> c.startsWith("suspend"));
    }

    @Test
    void maxDurationSecondsEndsABusyMicroVmAndASuspendedOne() {
        String busy = f.run(null, Duration.ofSeconds(100), null).id();
        String asleep = f.run(null, Duration.ofSeconds(100), null).id();
        Lifecycle.Use exec = f.lifecycle.use(f.tenant, busy, null);
        f.lifecycle.suspend(f.tenant, asleep, null);
        f.clock.advance(Duration.ofSeconds(99));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).isEmpty();
        f.clock.advance(Duration.ofSeconds(1));
        f.lifecycle.runOnce(f.clock.instant());
        assertThat(f.state(busy)).isEqualTo("TERMINATED");
        assertThat(f.state(asleep)).isEqualTo("TERMINATED");
        assertThat(f.get(busy).stateReason()).isNull();
        assertThat(f.events(busy, MicroVmRecords.EVENT_KIND)).anyMatch(e -> e.contains("maxDurationSeconds reached"));
        exec.close();
    }

    @Test
    void aDataPlaneCallOnASuspendedMicroVmResumesItWithAutoResumeAndAnswersConflictWithout() {
        String auto = f.run(new IdlePolicy(30, null, true)).id();
        String manual = f.run(new IdlePolicy(30, null, false)).id();
        f.lifecycle.suspend(f.tenant, auto, null);
        f.lifecycle.suspend(f.tenant, manual, null);
        try (Lifecycle.Use u = f.lifecycle.use(f.tenant, auto, null)) {
            assertThat(u.vm().id()).isEqualTo(auto);
        }
        assertThat(f.state(auto)).isEqualTo("RUNNING");
        assertThat(f.events(auto, MicroVmRecords.EVENT_KIND)).anyMatch(e -> e.contains("autoResume"));
        assertThatThrownBy(() -> f.lifecycle.use(f.tenant, manual, null)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("/v1/microvms/" + manual + "/resume");
    }

    // ---- memory tier ----------------------------------------------------------------------

    @Test
    void aMemoryTierResumeContinuesTheKeptVmmAndADiskTierResumeRestoresTheSave() {
        String id = f.run(null).id();
        long pid = f.engine.vmms.get(id).pid();
        f.lifecycle.suspend(f.tenant, id, null);
        f.lifecycle.resume(f.tenant, id, null);
        assertThat(f.engine.vmms.get(id).pid()).as("the kept VMM runs on").isEqualTo(pid);
        f.lifecycle.suspend(f.tenant, id, null);
        f.clock.advance(Duration.ofSeconds(120));
        assertThat(f.lifecycle.runOnce(f.clock.instant())).extracting(Lifecycle.Due::what).anyMatch(w -> w.startsWith("demote"));
        assertThat(f.get(id).suspensionTier()).isEqualTo("disk");
        assertThat(f.engine.vmms).doesNotContainKey(id);
        assertThat(f.events(id, MicroVmRecords.TIER_EVENT_KIND)).containsExactly("memory→disk (kept 120 s in the memory tier)");
        f.lifecycle.resume(f.tenant, id, null);
        assertThat(f.engine.vmms.get(id).pid()).isNotEqualTo(pid);
        assertThat(f.engine.calls).anyMatch(c -> c.startsWith("restore " + id + " from "));
    }

    @Test
    void hostMemoryPressureDemotesTheOldestKeptVmmFirst() {
        String older = f.run(null).id();
        String newer = f.run(null).id();
        f.lifecycle.suspend(f.tenant, older, null);
        f.clock.advance(Duration.ofSeconds(5));
        f.lifecycle.suspend(f.tenant, newer, null);
        f.availableMiB = 100;
        f.lifecycle.runOnce(f.clock.instant());
        assertThat(f.get(older).suspensionTier()).isEqualTo("disk");
        assertThat(f.get(newer).suspensionTier()).isEqualTo("memory");
    }

    @Test
    void aKeptVmmThatDiesMakesTheMicroVmDiskTierNeverFailed() {
        String id = f.run(null).id();
        f.lifecycle.suspend(f.tenant, id, null);
        FakeHypervisor.FakeVm kept = f.engine.vmms.get(id);
        f.engine.kill(id);
        f.lifecycle.deliver(id, new Supervisor.Input.AgentClosed(kept, "EOF", false));
        assertThat(f.state(id)).isEqualTo("SUSPENDED");
        assertThat(f.get(id).suspensionTier()).isEqualTo("disk");
        f.lifecycle.resume(f.tenant, id, null);
        assertThat(f.state(id)).isEqualTo("RUNNING");
    }

    @Test
    void aRunningMicroVmWhoseVmmDiesIsFailedWithTheReason() {
        String id = f.run(null).id();
        FakeHypervisor.FakeVm vm = f.engine.vmms.get(id);
        f.engine.kill(id);
        f.lifecycle.deliver(id, new Supervisor.Input.AgentClosed(vm, "EOF", false));
        assertThat(f.state(id)).isEqualTo("FAILED");
        assertThat(f.get(id).stateReason()).contains("went away");
    }

    // ---- hooks ------------------------------------------------------------------------------

    @Test
    void aFailingRunHookTerminatesTheMicroVmAndTheCallerLearnsWhich() {
        f.enableHooks("run");
        f.hookOutcomes.put("run", new HookRunner.Outcome(false, "HTTP 500: boom"));
        assertThatThrownBy(() -> f.run(null, Duration.ofHours(1), "payload-1")).isInstanceOf(HookFailedException.class)
                .satisfies(e -> assertThat(((HookFailedException) e).hook()).isEqualTo("run"));
        assertThat(f.hookCalls).singleElement().asString().startsWith("run ").endsWith(" payload-1");
        String id = f.hookCalls.getFirst().split(" ")[1];
        assertThat(f.state(id)).isEqualTo("TERMINATED");
        assertThat(f.events(id, Supervisor.HOOK_EVENT_KIND)).containsExactly("run→failed (HTTP 500: boom)");
    }

    @Test
    void aFailingSuspendHookIsAnEventAndTheSuspendCompletes() {
        f.enableHooks("suspend", "resume", "terminate");
        f.hookOutcomes.put("suspend", new HookRunner.Outcome(false, "timed out after 1 s"));
        String id = f.run(null).id();
        f.lifecycle.suspend(f.tenant, id, null);
        assertThat(f.state(id)).isEqualTo("SUSPENDED");
        f.lifecycle.resume(f.tenant, id, null);
        f.lifecycle.terminate(f.tenant, id, null);
        assertThat(f.events(id, Supervisor.HOOK_EVENT_KIND)).containsExactly("suspend→failed (timed out after 1 s)", "resume→ok",
                "terminate→ok");
    }

    @Test
    void aFailingResumeHookTerminatesTheMicroVm() {
        f.enableHooks("resume");
        f.hookOutcomes.put("resume", new HookRunner.Outcome(false, "HTTP 503"));
        String id = f.run(null).id();
        f.lifecycle.suspend(f.tenant, id, null);
        assertThatThrownBy(() -> f.lifecycle.resume(f.tenant, id, null)).isInstanceOf(HookFailedException.class);
        assertThat(f.state(id)).isEqualTo("TERMINATED");
    }

    // ---- fork -------------------------------------------------------------------------------

    @Test
    void aForkOfARunningMicroVmGivesCountRunningCopiesAndTheSourceRunsOn() {
        String src = f.run(new IdlePolicy(30, null, true)).id();
        List<MicroVmRecord> forks = f.lifecycle.fork(f.tenant, src, 3, r -> launchLike(r), "req-fork");
        assertThat(forks).hasSize(3).allSatisfy(r -> assertThat(r.state()).isEqualTo("RUNNING"));
        assertThat(f.state(src)).isEqualTo("RUNNING");
        assertThat(f.transitions(src)).containsExactly("→PENDING", "PENDING→RUNNING");
        assertThat(f.engine.calls).contains("resumeKept " + src);
    }

    @Test
    void aForkThatFailsHalfwayLeavesNoForkBehind() {
        String src = f.run(null).id();
        f.engine.failRestoreNumber = 3; // the source was restore 1; forks 2, 3, 4
        assertThatThrownBy(() -> f.lifecycle.fork(f.tenant, src, 3, r -> launchLike(r), null)).isInstanceOf(EngineFailure.class);
        assertThat(f.records.listNonTerminal()).extracting(MicroVmRecord::id).containsExactly(src);
        assertThat(f.engine.vmms.keySet()).containsExactly(src);
        assertThat(f.state(src)).isEqualTo("RUNNING");
    }

    @Test
    void aSuspendedMicroVmForksFromItsSaveAndStaysSuspended() {
        String src = f.run(null).id();
        String saved = f.lifecycle.suspend(f.tenant, src, null).savedId();
        List<MicroVmRecord> forks = f.lifecycle.fork(f.tenant, src, 2, r -> launchLike(r), null);
        assertThat(forks).hasSize(2);
        assertThat(f.engine.calls).contains("restore " + forks.get(0).id() + " from " + saved);
        assertThat(f.state(src)).isEqualTo("SUSPENDED");
    }

    private Lifecycle.Launch launchLike(MicroVmRecord r) {
        return new Lifecycle.Launch(r.tenantId(), r.image(), r.version(), null, f.hooks, r.env(), r.labels(),
                PolicyJson.read(r.idlePolicy()), f.clock.instant().plusSeconds(3600), r.runHookPayload(), r.network());
    }

    // ---- restart --------------------------------------------------------------------------

    @Test
    void aRestartAdoptsRunningMicroVmsAndReapsVmmsNoRecordOwns() {
        String id = f.run(null).id();
        f.engine.vmms.put("vmorphan", f.engine.new FakeVm("vmorphan", null, null));
        f.restart();
        assertThat(f.state(id)).isEqualTo("RUNNING");
        assertThat(f.engine.calls).contains("adopt " + id, "reap vmorphan");
        f.lifecycle.suspend(f.tenant, id, null);
        assertThat(f.state(id)).isEqualTo("SUSPENDED");
    }

    @Test
    void aRestartDuringASuspendWithTheVmmAliveDiscardsTheSaveAndRunsOn() {
        String id = f.run(null).id();
        f.records.transition(id, "RUNNING", "SUSPENDING", "suspended by request"); // killed right after this
        f.engine.saves.computeIfAbsent(id, k -> new java.util.concurrent.ConcurrentHashMap<>()).put("99", f.engine.template("99"));
        f.restart();
        assertThat(f.state(id)).isEqualTo("RUNNING");
        assertThat(f.engine.saves.get(id)).isEmpty();
    }

    @Test
    void aRestartDuringALaterSuspendNeverFallsBackToTheOlderSave() {
        String id = f.run(null).id();
        f.lifecycle.suspend(f.tenant, id, null);
        f.lifecycle.resume(f.tenant, id, null);
        f.records.transition(id, "RUNNING", "SUSPENDING", "suspended by request");
        f.engine.kill(id); // the host lost the VMM as well
        f.restart();
        assertThat(f.state(id)).as("the older save would silently lose what was written since").isEqualTo("FAILED");
    }

    @Test
    void aRestartKeepsSuspendedMicroVmsSuspendedOnTheDiskTierFromTheCommittedSave() {
        String id = f.run(null).id();
        String saved = f.lifecycle.suspend(f.tenant, id, null).savedId();
        f.engine.saves.get(id).put("999", f.engine.template("999")); // a newer partial save that was never committed
        f.restart();
        MicroVmRecord r = f.get(id);
        assertThat(r.state()).isEqualTo("SUSPENDED");
        assertThat(r.savedId()).isEqualTo(saved);
        assertThat(r.suspensionTier()).isEqualTo("disk");
        assertThat(f.engine.vmms).doesNotContainKey(id);
        assertThat(f.engine.saves.get(id).keySet()).containsExactly(saved);
        f.lifecycle.resume(f.tenant, id, null);
        assertThat(f.engine.calls).contains("restore " + id + " from " + saved);
    }

    @Test
    void aRestartResolvesPendingResumingAndTerminatingToTrueStates() {
        String pending = f.run(null).id();
        String resuming = f.run(null).id();
        String terminating = f.run(null).id();
        f.records.transition(pending, "RUNNING", "PENDING", null); // as if killed before RUNNING was written
        f.lifecycle.suspend(f.tenant, resuming, null);
        f.engine.kill(resuming);
        f.records.transition(resuming, "SUSPENDED", "RESUMING", null);
        f.records.transition(terminating, "RUNNING", "TERMINATING", null);
        f.restart();
        assertThat(f.state(pending)).isEqualTo("FAILED");
        assertThat(f.state(resuming)).isEqualTo("SUSPENDED");
        assertThat(f.state(terminating)).isEqualTo("TERMINATED");
        assertThat(f.engine.vmms).isEmpty();
    }

    @Test
    void aDeleteOfAFailedMicroVmReclaimsItsFilesAndItStaysFailed() {
        String id = f.run(null).id();
        FakeHypervisor.FakeVm vm = f.engine.vmms.get(id);
        f.engine.kill(id);
        f.lifecycle.deliver(id, new Supervisor.Input.AgentClosed(vm, "EOF", false));
        f.engine.calls.clear();
        assertThat(f.lifecycle.terminate(f.tenant, id, null).state()).isEqualTo("FAILED");
        assertThat(f.engine.calls).contains("reap " + id, "discardSaved " + id + " null");
    }

    @Test
    void reconcilingTwentyRecordsTakesUnderTwoSeconds() {
        for (int i = 0; i < 20; i++) {
            String id = f.run(null).id();
            if (i % 2 == 0) {
                f.lifecycle.suspend(f.tenant, id, null);
            }
        }
        long t0 = System.nanoTime();
        f.restart();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        assertThat(f.records.listNonTerminal()).hasSize(20).extracting(MicroVmRecord::state).containsOnly("RUNNING", "SUSPENDED");
        assertThat(Set.copyOf(f.engine.calls.stream().filter(c -> c.startsWith("adopt")).toList())).hasSize(10);
    }
}
