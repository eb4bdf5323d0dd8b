package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.MemoryModel;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.qemu.internal.QcowImages;
import dev.burrow.vmm.testing.EngineFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both suspend tiers, crash leftovers, bounded chains, forks and a host reboot, against real QEMU. */
class SuspendTiersTest {

    private static final Duration T = Duration.ofSeconds(30);
    /** How long the memory-tier test keeps a guest stopped before it checks the guest's clock. */
    private static final Duration KEPT_FOR = Duration.ofSeconds(3);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EngineFixture fx;
    private static QemuHypervisor engine;
    private final List<MicroVm> vms = new ArrayList<>();

    @BeforeAll
    static void template() throws Exception {
        fx = EngineFixture.get();
        engine = fx.engine;
    }

    @AfterEach
    void destroy() throws Exception {
        engine.faults(QemuHypervisor.Faults.NONE);
        for (MicroVm vm : vms) {
            vm.close();
            engine.discardSaved(vm.id(), null);
        }
    }

    private static String newId(String prefix) {
        return prefix + COUNTER.incrementAndGet() + "x" + Long.toString(System.nanoTime() % 100000, 36);
    }

    private MicroVm track(MicroVm vm) {
        vms.add(vm);
        return vm;
    }

    private MicroVm restore(Template t, String id) throws Exception {
        return track(engine.restore(t, id, Identity.of(id)));
    }

    private static String sh(MicroVm vm, String script) throws Exception {
        ExecResult r = vm.agent().run(ExecRequest.of("sh", "-c", script), T);
        assertThat(r.exitCode()).as("%s: %s", script, r.stderrText()).isZero();
        return r.stdoutText();
    }

    private Path saves(String vmId) {
        return engine.config().dataDir().resolve("suspended").resolve(vmId);
    }

    private List<String> saveDirs(String vmId) throws IOException {
        if (!Files.isDirectory(saves(vmId))) {
            return List.of();
        }
        try (var s = Files.list(saves(vmId))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aMemoryTierSuspendKeepsTheVmmAndItsMemoryAndResumeStepsTheClockToTheHosts() throws Exception {
        MicroVm a = restore(fx.template, newId("kept"));
        sh(a, "echo 4242 > /dev/shm/counter; sleep 1000 & echo $! > /dev/shm/pid");
        ExecSession hanging = a.agent().exec(ExecRequest.of("sleep", "1000"));
        long pid = a.pid();

        Template saved = engine.suspend(a, SuspendMode.KEEP_VMM);
        long stoppedAt = System.nanoTime();

        assertThat(a.isAlive()).isTrue();
        assertThat(engine.saved(a.id(), saved.id())).isPresent();
        assertThatThrownBy(() -> hanging.await(T)).as("a stream of the session before the suspend ends")
                .isInstanceOf(AgentException.class).hasMessageContaining("suspended");
        // the daemon forks a RUNNING microVM from its kept save, N times; the source stays stopped
        // meanwhile, here for at least KEPT_FOR so its clock falls behind the host's
        MicroVm fork;
        int forks = 0;
        do {
            fork = restore(saved, newId("fork"));
            assertThat(sh(fork, "cat /dev/shm/counter; hostname")).isEqualTo("4242\n" + fork.id() + "\n");
            forks++;
        } while (System.nanoTime() - stoppedAt < KEPT_FOR.toNanos());

        MicroVm back = engine.resumeKept(a, Identity.of(a.id()));
        long keptMillis = (System.nanoTime() - stoppedAt) / 1_000_000;

        assertThat(back.pid()).isEqualTo(pid);
        assertThat(sh(back, "cat /dev/shm/counter")).isEqualTo("4242\n");
        sh(back, "kill -0 $(cat /dev/shm/pid)");
        long hostBefore = System.currentTimeMillis();
        long guest = Long.parseLong(sh(back, "date +%s").strip());
        long hostAfter = System.currentTimeMillis();
        assertThat(keptMillis).as("the guest was kept stopped, %d forks made meanwhile", forks).isGreaterThanOrEqualTo(KEPT_FOR.toMillis());
        assertThat(guest).as("guest clock after %d ms stopped", keptMillis).isBetween(hostBefore / 1000 - 1, hostAfter / 1000 + 1);
        assertThat(engine.saved(a.id(), saved.id())).as("the save is consumed").isEmpty();
        awaitGone(saved.dir());
        // the fork owns its disk: the source running on changes nothing it reads
        sh(back, "echo changed > /root/after && sync");
        assertThat(fork.agent().run(ExecRequest.of("test", "-e", "/root/after"), T).exitCode()).isEqualTo(1);
    }

    @Test
    void aKeptMicroVmClosedIsDemotedToTheDiskTierAndRestoresUnderItsId() throws Exception {
        String id = newId("demoted");
        MicroVm a = track(engine.restore(fx.template, id, Identity.of(id)));
        sh(a, "echo in-memory > /dev/shm/kept; echo on-disk > /root/kept && sync");
        Template saved = engine.suspend(a, SuspendMode.KEEP_VMM);

        a.close();

        assertThat(engine.liveVmms()).doesNotContain(id);
        assertThat(engine.config().dataDir().resolve("vms").resolve(id)).doesNotExist();
        Template again = engine.saved(id, saved.id()).orElseThrow();
        MicroVm back = restore(again, id);
        assertThat(sh(back, "cat /dev/shm/kept /root/kept")).isEqualTo("in-memory\non-disk\n");
    }

    @Test
    void aSuspendThatFailsAtAnyStepLeavesTheGuestRunningAndNoPartialSave() throws Exception {
        MicroVm vm = restore(fx.template, newId("failing"));
        sh(vm, "echo before > /root/before && sync");
        for (String step : List.of("memory", "devices", "disk", "manifest")) {
            engine.faults(s -> {
                if (s.equals(step)) {
                    throw new IOException("injected failure before " + s);
                }
            });
            for (SuspendMode mode : SuspendMode.values()) {
                assertThatThrownBy(() -> engine.suspend(vm, mode)).isInstanceOf(VmmException.class)
                        .hasMessageContaining("injected failure before " + step);
                assertThat(saveDirs(vm.id())).as("saves after a failure before %s", step).isEmpty();
                assertThat(sh(vm, "cat /root/before; echo $((6 * 7))")).isEqualTo("before\n42\n");
            }
        }
        engine.faults(QemuHypervisor.Faults.NONE);
        Template t = engine.suspend(vm, SuspendMode.END_VMM);
        assertThat(saveDirs(vm.id())).containsExactly(t.id());
    }

    @Test
    void afterACrashMidSuspendDiscardPutsTheDiskBackAndAdoptLetsTheStoppedGuestRun() throws Exception {
        String id = newId("crashed");
        QemuMicroVm vm = (QemuMicroVm) restore(fx.template, id);
        sh(vm, "echo before-crash > /root/note && sync");
        // what an engine that moved the disk and died leaves: a stopped guest, its disk in a partial save
        vm.qmp().execute("stop", T);
        Path partial = saves(id).resolve("1");
        Files.createDirectories(partial);
        Files.move(vm.dir().resolve("disk.qcow2"), partial.resolve("disk.qcow2"));
        Files.writeString(partial.resolve("state"), "half");
        vm.detach();
        vms.remove(vm);

        engine.discardSaved(id, null);

        assertThat(vm.dir().resolve("disk.qcow2")).exists();
        assertThat(saveDirs(id)).isEmpty();
        assertThat(engine.liveVmms()).contains(id);
        MicroVm adopted = track(engine.adopt(id, vm.machine(), Identity.of(id)).orElseThrow());
        assertThat(adopted.pid()).isEqualTo(vm.pid());
        assertThat(sh(adopted, "cat /root/note; echo after > /root/after && sync && cat /root/after")).isEqualTo("before-crash\nafter\n");
    }

    /** What a kill -9 of the daemon does to a suspend: it stops there, with no cleanup. */
    private static final class SimulatedCrash extends Error {
        SimulatedCrash(String step) {
            super("the daemon died before " + step);
        }
    }

    @Test
    void aSuspendCutShortAtAnyStepLeavesAGuestThatAdoptLetsRunAndNothingPartialAfterDiscard() throws Exception {
        for (String step : List.of("memory", "devices", "disk", "manifest", "end")) {
            String id = newId("cut");
            QemuMicroVm vm = (QemuMicroVm) restore(fx.template, id);
            sh(vm, "echo before > /root/note && sync");
            engine.faults(s -> {
                if (s.equals(step)) {
                    throw new SimulatedCrash(s);
                }
            });
            assertThatThrownBy(() -> engine.suspend(vm, SuspendMode.END_VMM)).isInstanceOf(SimulatedCrash.class);
            engine.faults(QemuHypervisor.Faults.NONE);
            vm.detach();
            vms.remove(vm);

            assertThat(engine.liveVmms()).as("after a cut before %s", step).contains(id);
            MicroVm adopted = track(engine.adopt(id, vm.machine(), Identity.of(id)).orElseThrow());
            engine.discardSaved(id, null);

            assertThat(saveDirs(id)).as("saves after a cut before %s", step).isEmpty();
            assertThat(sh(adopted, "cat /root/note; echo after >> /root/note && sync && cat /root/note"))
                    .isEqualTo("before\nbefore\nafter\n");
        }
    }

    @Test
    void adoptingAKeptVmmMakesItsSaveUnusableBeforeTheGuestRuns() throws Exception {
        String id = newId("keptcrash");
        QemuMicroVm vm = (QemuMicroVm) restore(fx.template, id);
        Template saved = engine.suspend(vm, SuspendMode.KEEP_VMM);
        vm.detach(); // the daemon dies with the VMM kept
        vms.remove(vm);

        MicroVm adopted = track(engine.adopt(id, vm.machine(), Identity.of(id)).orElseThrow());

        assertThat(engine.saved(id, saved.id())).isEmpty();
        assertThat(sh(adopted, "hostname")).isEqualTo(id + "\n");
        engine.discardSaved(id, null);
        assertThat(saveDirs(id)).isEmpty();
        assertThat(adopted.dir().resolve("disk.qcow2")).exists();
    }

    @Test
    void fiftyDiskTierCyclesKeepTheChainAndTheSavesBoundedAndEveryFile() throws Exception {
        String id = newId("cycled");
        MicroVm vm = restore(fx.template, id);
        sh(vm, "echo cycle-1 > /root/first && sync");
        List<Long> resumeMillis = new ArrayList<>();
        int maxChain = 0;
        int maxSaves = 0;
        for (int cycle = 1; cycle <= 50; cycle++) {
            sh(vm, "dd if=/dev/urandom of=/root/c" + cycle + " bs=64k count=1 2>/dev/null && md5sum /root/c" + cycle
                    + " > /root/c" + cycle + ".sum && sync");
            Template t = engine.suspend(vm, SuspendMode.END_VMM);
            vms.remove(vm);
            engine.discardSaved(id, t.id());
            maxSaves = Math.max(maxSaves, saveDirs(id).size());
            long t0 = System.nanoTime();
            vm = restore(t, id);
            sh(vm, "true");
            resumeMillis.add((System.nanoTime() - t0) / 1_000_000);
            engine.discardSaved(id, null); // keeps the one the live disk reads
            assertThat(saveDirs(id)).containsExactly(t.id());
            maxChain = Math.max(maxChain, QcowImages.chain(vm.dir().resolve("disk.qcow2")).size());
        }
        assertThat(sh(vm, "cat /root/first; md5sum -c /root/c1.sum /root/c50.sum")).startsWith("cycle-1\n").contains("/root/c50: OK");
        // live overlay -> the save's folded layer -> the image template's disk -> its raw root
        assertThat(maxChain).isEqualTo(3);
        assertThat(maxSaves).isEqualTo(1);
        System.out.printf("resume to first exec, ms: cycles 1-5 %s, cycles 46-50 %s%n", resumeMillis.subList(0, 5),
                resumeMillis.subList(45, 50));
    }

    @Test
    void aForkRestoredFromASaveKeepsWorkingAfterTheSourceDiscardsEverySave() throws Exception {
        String a = newId("source");
        MicroVm source = restore(fx.template, a);
        sh(source, "echo from-a > /root/a-file && dd if=/dev/urandom of=/root/blob bs=1M count=4 2>/dev/null"
                + " && md5sum /root/blob > /root/blob.sum && sync");
        Template saved = engine.suspend(source, SuspendMode.END_VMM);
        vms.remove(source);
        String b = newId("forked");
        MicroVm fork = restore(saved, b);

        engine.discardSaved(a, null);

        assertThat(saves(a)).doesNotExist();
        assertThat(QcowImages.chain(fork.dir().resolve("disk.qcow2"))).noneMatch(p -> p.startsWith(saves(a)));
        // drop the guest's page cache so the reads below come through the disk chain
        assertThat(sh(fork, "sync; echo 3 > /proc/sys/vm/drop_caches; cat /root/a-file; md5sum -c /root/blob.sum"))
                .isEqualTo("from-a\n/root/blob: OK\n");
        assertThat(sh(fork, "hostname")).isEqualTo(b + "\n");
    }

    @Test
    void aMicroVmWhoseRamCameInAStateStreamSuspendsToBothTiers() throws Exception {
        // a snapshot of a restored microVM carries its RAM in the state stream: no memory file to diff against
        MicroVm source = fx.restore();
        sh(source, "echo own > /dev/shm/own");
        Template snapshot = engine.snapshot(source, fx.dataDir.resolve("templates").resolve("own-" + source.id()));
        assertThat(snapshot.memory()).isNull();
        String id = newId("own");
        MicroVm vm = restore(snapshot, id);

        Template kept = engine.suspend(vm, SuspendMode.KEEP_VMM);
        vm = engine.resumeKept(vm, Identity.of(id));
        sh(vm, "echo more >> /dev/shm/own");
        Template saved = engine.suspend(vm, SuspendMode.END_VMM);
        vms.remove(vm);
        engine.discardSaved(id, saved.id());
        MicroVm back = restore(saved, id);

        assertThat(kept.id()).isNotEqualTo(saved.id());
        assertThat(saved.memory()).as("its RAM travels in the state").isNull();
        assertThat(sh(back, "cat /dev/shm/own")).isEqualTo("own\nmore\n");
        assertThat(saveDirs(id)).containsExactly(saved.id());
    }

    @Test
    void aMicroVmWithItsOwnMemoryFileSuspendsToBothTiers() throws Exception {
        try (QemuHypervisor own = QemuHypervisor.start(engine.config().withMemoryModel(MemoryModel.OWN_FILE))) {
            String id = newId("ownfile");
            MicroVm vm = track(own.restore(fx.template, id, Identity.of(id)));
            assertThat(((QemuMicroVm) vm).ownMemory()).isTrue();
            sh(vm, "echo own > /dev/shm/own");

            Template kept = own.suspend(vm, SuspendMode.KEEP_VMM);
            assertThat(kept.memory()).as("the save links the microVM's own memory file").isEqualTo(kept.dir().resolve("memory"));
            vm = own.resumeKept(vm, Identity.of(id));
            sh(vm, "echo more >> /dev/shm/own");
            Template saved = own.suspend(vm, SuspendMode.END_VMM);
            vms.remove(vm);
            own.discardSaved(id, saved.id());
            MicroVm back = track(own.restore(saved, id, Identity.of(id)));

            assertThat(sh(back, "cat /dev/shm/own")).isEqualTo("own\nmore\n");
            assertThat(saveDirs(id)).containsExactly(saved.id());
        }
    }

    @Test
    void savedStatesRestoreAfterEveryVmmIsKilledTheRunDirectoryIsGoneAndCachesAreDropped() throws Exception {
        String id = newId("rebooted");
        MicroVm vm = restore(fx.template, id);
        sh(vm, "echo durable > /root/file; echo volatile > /dev/shm/file; sync");
        Template saved = engine.suspend(vm, SuspendMode.END_VMM);
        vms.remove(vm);
        EngineConfig config = engine.config();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("-name " + config.instanceId() + "/")).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
        FileTrees.delete(config.runDir());
        dropHostCaches();

        try (QemuHypervisor restarted = QemuHypervisor.start(config)) {
            Template again = restarted.saved(id, saved.id()).orElseThrow();
            MicroVm back = track(restarted.restore(again, id, Identity.of(id)));
            assertThat(sh(back, "cat /root/file /dev/shm/file")).isEqualTo("durable\nvolatile\n");
        }
    }

    /** Waits, with a deadline, for a directory removed in the background to be gone. */
    private static void awaitGone(Path dir) {
        long deadline = System.nanoTime() + T.toNanos();
        while (Files.exists(dir)) {
            assertThat(System.nanoTime()).as("%s removed within %s", dir, T).isLessThan(deadline);
            LockSupport.parkNanos(5_000_000);
        }
    }

    private static void dropHostCaches() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        } catch (IOException e) {
            System.out.println("page cache not dropped (needs root): " + e.getMessage());
        }
    }
}
