package dev.burrow.vmm.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.testing.CgroupedEngine;
import dev.burrow.vmm.testing.Restores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A guest that attacks its own microVM — a fork bomb, a memory hog, a disk filler — is contained:
 * its VMM stays inside its cgroup's limits and alive (the kernel never OOM-kills it), a
 * neighbouring microVM keeps answering, the host keeps its memory, the abusing microVM can still
 * be ended, and the disk filler stops at the disk's size on the host too. Real QEMU, with each
 * VMM started inside its cgroup as the jailer will start it.
 */
@Tag("security")
class AbuseContainmentEngineTest {

    /** How long each abuse runs while the neighbour is probed (wall time). */
    private static final Duration ABUSE_WINDOW = Duration.ofSeconds(8);
    /** The longest a neighbour's {@code true} may take during an abuse (TCG on a shared 2-core host). */
    private static final Duration NEIGHBOUR_DEADLINE = Duration.ofSeconds(15);
    /** How long ending the abusing microVM may take. */
    private static final Duration END_DEADLINE = Duration.ofSeconds(15);
    /** The disk filler's budget: ~1.4 GiB through virtio-blk under TCG. */
    private static final Duration FILL_TIMEOUT = Duration.ofMinutes(5);
    /** qcow2's own metadata on top of the data clusters (L1/L2 tables, refcounts) for a disk of this size. */
    private static final long QCOW2_METADATA_MAX_MIB = 16;
    /** What the host must keep available throughout (its other tenants, burrowd, the build). */
    private static final long HOST_AVAILABLE_MIN_MIB = 512;
    private static final Duration T = Duration.ofSeconds(60);
    /** How long the fork-bombed guest's own {@code true} is given (an idle guest answers in well under a second). */
    private static final Duration BOMBED_PROBE = Duration.ofSeconds(5);
    /** USER_HZ: the unit of /proc/PID/stat's times on Linux. */
    private static final long TICKS_PER_SECOND = 100;

    @RegisterExtension
    final Restores vms = new Restores();

    /** One microVM in its own cgroup. */
    private record Vm(MicroVm vm, VmCgroup cgroup) {}

    /** What the probes saw during an abuse. */
    private record Watch(long neighbourMaxMillis, long neighbourProbes, long hostAvailableMinMiB, long abuserPidsMax, double abuserCpus) {}

    private Vm start(CgroupedEngine e, String prefix) throws Exception {
        String id = CgroupedEngine.newId(prefix);
        VmCgroup cg = e.cgroupFor(id);
        MicroVm vm = vms.track(e.restore(id));
        assertThat(cg.processes()).as("the VMM runs in its cgroup").contains(vm.pid());
        return new Vm(vm, cg);
    }

    private static CgroupedEngine engine() throws Exception {
        return CgroupedEngine.get(GuestLimitsEngineTest.MACHINE, GuestLimitsEngineTest.DISK_MIB);
    }

    private static long hostAvailableMiB() throws Exception {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemAvailable:"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024).findFirst().orElseThrow();
    }

    /** Probes the neighbour with {@code true} and samples the host and the abuser until {@code until} is done. */
    private static Watch watch(Vm neighbour, Vm abuser, CompletableFuture<?> until) throws Exception {
        long maxMillis = 0;
        long probes = 0;
        long minAvailable = Long.MAX_VALUE;
        long pidsMax = 0;
        long cpu0 = cpuTicks(abuser.vm.pid());
        long wall0 = System.nanoTime();
        do {
            long t0 = System.nanoTime();
            ExecResult r = neighbour.vm.agent().run(ExecRequest.of("true"), NEIGHBOUR_DEADLINE);
            assertThat(r.exitCode()).isZero();
            maxMillis = Math.max(maxMillis, (System.nanoTime() - t0) / 1_000_000);
            probes++;
            minAvailable = Math.min(minAvailable, hostAvailableMiB());
            pidsMax = Math.max(pidsMax, abuser.cgroup.pidsCurrent().orElse(0L));
            assertThat(abuser.vm.isAlive()).as("the abusing VMM is alive").isTrue();
        } while (!until.isDone());
        double cpus = (cpuTicks(abuser.vm.pid()) - cpu0) / (double) TICKS_PER_SECOND / ((System.nanoTime() - wall0) / 1e9);
        return new Watch(maxMillis, probes, minAvailable, pidsMax, cpus);
    }

    /** The process's user + system time in clock ticks (/proc/PID/stat fields 14 and 15). */
    private static long cpuTicks(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static CompletableFuture<Void> window() {
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(ABUSE_WINDOW.toMillis(),
                TimeUnit.MILLISECONDS));
    }

    /** The abuser's VMM never left its limits nor was killed for them; it ends on request and its cgroup goes. */
    private static void assertContainedAndEnded(String what, Vm abuser, Watch w, CgroupLimits limits) throws Exception {
        System.out.printf("%s: abuser VMM used %.2f CPUs; neighbour max %d ms over %d probes, host available min %d MiB, abuser memory"
                        + " peak %d MiB (limit %d), pids max %d (limit %d), throttled periods %d%n", what, w.abuserCpus, w.neighbourMaxMillis,
                w.neighbourProbes,
                w.hostAvailableMinMiB, abuser.cgroup.memoryPeakBytes().orElse(-1L) >> 20, limits.memoryBytes() >> 20,
                w.abuserPidsMax, limits.pidsMax(), abuser.cgroup.cpuThrottledPeriods().orElse(-1L));
        assertThat(w.hostAvailableMinMiB).as("host memory available").isGreaterThanOrEqualTo(HOST_AVAILABLE_MIN_MIB);
        assertThat(abuser.cgroup.memoryPeakBytes()).hasValueSatisfying(b -> assertThat(b).isLessThanOrEqualTo(limits.memoryBytes()));
        assertThat(abuser.cgroup.oomKills()).as("the kernel OOM-killed nothing in the VMM's cgroup").contains(0L);
        assertThat(w.abuserPidsMax).isLessThanOrEqualTo(limits.pidsMax());
        long t0 = System.nanoTime();
        abuser.vm.close();
        long endMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("%s: the abusing microVM ended in %d ms%n", what, endMillis);
        assertThat(endMillis).isLessThan(END_DEADLINE.toMillis());
        abuser.cgroup.remove();
        assertThat(abuser.cgroup.dirs()).allSatisfy(d -> assertThat(d).doesNotExist());
    }

    @Test
    void aForkBombInsideAGuestStaysInsideItsMicroVm() throws Exception {
        CgroupedEngine e = engine();
        Vm neighbour = start(e, "quiet");
        Vm abuser = start(e, "bomb");

        ExecResult started = abuser.vm.agent().run(ExecRequest.of("sh", "-c", "f(){ f|f& }; f >/dev/null 2>&1; exit 0"), T);
        assertThat(started.exitCode()).isZero();
        Watch w = watch(neighbour, abuser, window());

        assertThatThrownBy(() -> abuser.vm.agent().run(ExecRequest.of("true"), BOMBED_PROBE))
                .as("the bomb has the abusing guest itself too busy to start a process")
                .isInstanceOf(AgentException.class).hasMessageContaining("did not finish");
        assertContainedAndEnded("fork bomb", abuser, w, e.limits);
    }

    @Test
    void aMemoryHogInsideAGuestMeetsTheGuestsOomKillerNotTheHosts() throws Exception {
        CgroupedEngine e = engine();
        Vm neighbour = start(e, "quiet");
        Vm abuser = start(e, "hog");

        // three 200 MiB buffers, each filled from /dev/zero: more than the guest's RAM is touched
        CompletableFuture<ExecResult> hog = CompletableFuture.supplyAsync(() -> {
            try {
                return abuser.vm.agent().run(ExecRequest.of("sh", "-c",
                        "for i in 1 2 3; do dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null & done; wait; echo done"), T);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        Watch w = watch(neighbour, abuser, hog);

        assertThat(hog.get().stdoutText()).contains("done");
        ExecResult after = abuser.vm.agent().run(ExecRequest.of("true"), T);
        assertThat(after.exitCode()).as("the abusing guest itself still answers").isZero();
        assertContainedAndEnded("memory hog", abuser, w, e.limits);
    }

    @Test
    void aDiskFillerStopsAtTheDisksSizeInTheGuestAndOnTheHost() throws Exception {
        CgroupedEngine e = engine();
        Vm neighbour = start(e, "quiet");
        Vm abuser = start(e, "fill");
        Path overlay = abuser.vm.dir().resolve("disk.qcow2");

        CompletableFuture<ExecResult> fill = CompletableFuture.supplyAsync(() -> {
            try {
                return abuser.vm.agent().run(ExecRequest.of("sh", "-c", "dd if=/dev/zero of=/fill bs=1M; sync; df -k /"), FILL_TIMEOUT);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        Watch w = watch(neighbour, abuser, fill);

        ExecResult r = fill.get();
        assertThat(r.stderrText()).contains("No space left on device");
        long overlayMiB = Files.size(overlay) >> 20;
        System.out.printf("disk filler: overlay %d MiB on the host for a %d MiB disk; guest df: %s%n", overlayMiB, e.diskMiB,
                r.stdoutText().lines().skip(1).findFirst().orElse("?"));
        assertThat(overlayMiB).isLessThanOrEqualTo(e.diskMiB + QCOW2_METADATA_MAX_MIB);
        assertContainedAndEnded("disk filler", abuser, w, e.limits);
    }
}
