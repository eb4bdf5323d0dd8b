package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.qemu.internal.VmmProcess;
import dev.burrow.vmm.testing.EngineFixture;
import dev.burrow.vmm.testing.Restores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Standbys against real QEMU: the suite's template (booted once per JVM), each test ending its standbys. */
class StandbyEngineTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static EngineFixture fx;
    @RegisterExtension
    final Restores vms = new Restores();

    @BeforeAll
    static void template() throws Exception {
        fx = EngineFixture.get();
    }

    @AfterEach
    void noStandbys() {
        fx.engine.keepStandby(fx.template, 0);
    }

    private static ExecResult run(MicroVm vm, String... argv) throws Exception {
        return vm.agent().run(ExecRequest.of(argv), T);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitStandbys(int n) throws InterruptedException {
        await(n + " standbys ready", () -> fx.engine.standbyReady(fx.template) >= n);
    }

    /** Keeps one standby of {@code t}, waits until it is ready, and answers its directory. */
    private static Path oneStandby(Template t) throws Exception {
        fx.engine.keepStandby(t, 1);
        awaitStandbys(1);
        return standbyDirs().getFirst();
    }

    /** The directories of the engine's standbys, found by their mark. */
    private static List<Path> standbyDirs() throws Exception {
        try (var dirs = Files.list(fx.dataDir.resolve("vms"))) {
            return dirs.filter(d -> Files.exists(d.resolve(QemuHypervisor.STANDBY_MARK))).toList();
        }
    }

    /** The user-space processes of a guest as their command lines (kernel threads have none). */
    private static Set<String> userProcesses(MicroVm vm) throws Exception {
        ExecResult r = run(vm, "sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done");
        return Arrays.stream(r.stdoutText().split("\n")).map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    }

    @Test
    void aClaimedStandbyShowsOnlyTheClaimsHostnameMachineIdAndClockAndRanNothingAFreshRestoreDidNot() throws Exception {
        Template t = fx.template;
        fx.engine.keepStandby(t, 1);
        awaitStandbys(1);
        Map<String, Identity> given = new ConcurrentHashMap<>();
        Instant later = Instant.now().plus(Duration.ofHours(1)); // a clock no standby could have had of its own

        MicroVm vm = vms.track(fx.engine.restore(t, id -> {
            Identity fresh = Identity.fresh(id);
            Identity claimed = new Identity(id, fresh.machineId(), fresh.entropy(), later);
            given.put(id, claimed);
            return claimed;
        }));

        assertThat(vm.startPath()).isEqualTo(StartPath.STANDBY);
        assertThat(vm.id()).matches("vm[0-9a-z]{24}");
        assertThat(run(vm, "hostname").stdoutText().strip()).isEqualTo(vm.id());
        assertThat(run(vm, "cat", "/etc/machine-id").stdoutText().strip()).isEqualTo(given.get(vm.id()).machineId());
        long guestSeconds = Long.parseLong(run(vm, "date", "+%s").stdoutText().strip());
        assertThat(guestSeconds).isBetween(later.getEpochSecond() - 5, later.getEpochSecond() + 60);
        assertThat(fx.engine.liveVmms()).contains(vm.id());
        assertThat(vm.dir().resolve(QemuHypervisor.STANDBY_MARK)).doesNotExist();

        MicroVm fresh = vms.restore();
        assertThat(userProcesses(vm)).isEqualTo(userProcesses(fresh));
    }

    @Test
    void aWarmedUpStandbysFirstProcessGetsTheSamePidAsAFreshRestoresAndNoProcessOrFileOfTheWarmUpIsLeft() throws Exception {
        Template t = fx.template;
        fx.engine.keepStandby(t, 1); // the warm-up is on by default
        awaitStandbys(1);
        MicroVm vm = vms.track(fx.engine.restore(t, Identity::fresh));
        MicroVm fresh = vms.restore();

        assertThat(vm.startPath()).isEqualTo(StartPath.STANDBY);
        assertThat(fresh.startPath()).isNotEqualTo(StartPath.STANDBY);
        assertThat(QemuHypervisor.warmsUp(vm.agent().agentVersion())).as("the standby's agent has the warm-up builtin").isTrue();
        String firstPid = run(vm, "sh", "-c", "echo $$").stdoutText().strip();
        assertThat(firstPid).matches("[0-9]+").isEqualTo(run(fresh, "sh", "-c", "echo $$").stdoutText().strip());
        assertThat(run(vm, "hostname").stdoutText().strip()).isEqualTo(vm.id());
        assertThat(userProcesses(vm)).isEqualTo(userProcesses(fresh));
        String files = "find / -xdev ! -path '/proc/*' ! -path '/sys/*' | sort";
        assertThat(run(vm, "sh", "-c", files).stdoutText()).isNotBlank().isEqualTo(run(fresh, "sh", "-c", files).stdoutText());
    }

    @Test
    void twoClaimedStandbysDrawDifferentRandomness() throws Exception {
        Template t = fx.template;
        fx.engine.keepStandby(t, 2);
        awaitStandbys(2);
        MicroVm a = vms.track(fx.engine.restore(t, Identity::fresh));
        MicroVm b = vms.track(fx.engine.restore(t, Identity::fresh));
        assertThat(List.of(a.startPath(), b.startPath())).containsOnly(StartPath.STANDBY);

        // the template's CRNG state was copied into both; the reseeds separate them
        String rndA = run(a, "sh", "-c", "head -c 32 /dev/urandom | od -An -tx1").stdoutText();
        String rndB = run(b, "sh", "-c", "head -c 32 /dev/urandom | od -An -tx1").stdoutText();
        assertThat(rndA).isNotBlank().isNotEqualTo(rndB);
    }

    @Test
    void concurrentClaimsNeverShareAStandbyAndTheOneThatFindsNoneIsRestoredFromNothing() throws Exception {
        Template t = fx.template;
        fx.engine.keepStandby(t, 2);
        awaitStandbys(2);
        int claimers = 3;
        CyclicBarrier start = new CyclicBarrier(claimers);
        List<MicroVm> claimed = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failed = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < claimers; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                    claimed.add(fx.engine.restore(t, Identity::fresh));
                } catch (Throwable e) {
                    failed.add(e);
                }
            }));
        }
        for (Thread th : threads) {
            assertThat(th.join(T)).isTrue();
        }
        claimed.forEach(vms::track);
        assertThat(failed).isEmpty();
        assertThat(claimed.stream().map(MicroVm::id).collect(Collectors.toSet())).hasSize(claimers);
        assertThat(claimed.stream().map(MicroVm::pid).collect(Collectors.toSet())).hasSize(claimers);
        assertThat(claimed.stream().filter(v -> v.startPath() == StartPath.STANDBY)).hasSize(2);
        assertThat(claimed.stream().filter(v -> v.startPath() == StartPath.COLD)).hasSize(1);
        for (MicroVm vm : claimed) {
            assertThat(run(vm, "hostname").stdoutText().strip()).isEqualTo(vm.id());
        }
    }

    @Test
    void aDeadStandbyIsDiscardedAndTheClaimRestoredFromNothing() throws Exception {
        Template t = fx.template;
        Path dir = oneStandby(t);
        long pid = VmmProcess.adopt(dir).orElseThrow().pid();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        await("the standby's VMM gone", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));

        MicroVm vm = vms.track(fx.engine.restore(t, Identity::fresh));

        assertThat(vm.startPath()).isEqualTo(StartPath.COLD);
        assertThat(vm.id()).isNotEqualTo(dir.getFileName().toString());
        assertThat(run(vm, "hostname").stdoutText().strip()).isEqualTo(vm.id());
        assertThat(dir).doesNotExist();
    }

    @Test
    void aStandbyWhoseVmmNoLongerAnswersIsDiscardedAndTheClaimRestoredFromNothing() throws Exception {
        Template t = fx.template;
        Path dir = oneStandby(t);
        long pid = VmmProcess.adopt(dir).orElseThrow().pid();
        assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor()).isZero();

        MicroVm vm = vms.track(fx.engine.restore(t, Identity::fresh));

        assertThat(vm.startPath()).isEqualTo(StartPath.COLD);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(dir).doesNotExist();
        assertThat(run(vm, "hostname").stdoutText().strip()).isEqualTo(vm.id());
    }

    @Test
    void aStandbyIsNoMicroVmOfTheEngineAndARestartedEngineReapsItWithItsFiles() throws Exception {
        Template t = fx.template;
        Path dir = oneStandby(t);
        String id = dir.getFileName().toString();
        long pid = VmmProcess.adopt(dir).orElseThrow().pid();
        assertThat(fx.engine.liveVmms()).doesNotContain(id);

        // what a daemon restart does: a new engine of the same instance starts while the old one's standby runs
        try (QemuHypervisor restarted = QemuHypervisor.start(fx.engine.config())) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(dir).doesNotExist();
            assertThat(fx.engine.config().runDir().resolve(id)).doesNotExist();
            assertThat(restarted.liveVmms()).doesNotContain(id);
        }
    }

    @Test
    void keepingNoneAndClosingTheEngineEndEveryStandby() throws Exception {
        Template t = fx.template;
        fx.engine.keepStandby(t, 1);
        awaitStandbys(1);
        long first = VmmProcess.adopt(standbyDirs().getFirst()).orElseThrow().pid();

        fx.engine.keepStandby(t, 0);

        assertThat(fx.engine.standbyReady(t)).isZero();
        assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(standbyDirs()).isEmpty();

        QemuHypervisor other = QemuHypervisor.start(fx.engine.config());
        Set<Long> pids = new HashSet<>();
        try {
            other.keepStandby(t, 1);
            await("a standby of the second engine", () -> other.standbyReady(t) == 1);
            for (Path d : standbyDirs()) {
                Optional<VmmProcess> p = VmmProcess.adopt(d);
                p.ifPresent(v -> pids.add(v.pid()));
            }
            assertThat(pids).hasSize(1);
        } finally {
            other.close();
        }
        assertThat(pids.stream().filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false))).isEmpty();
        assertThat(standbyDirs()).isEmpty();
    }
}
