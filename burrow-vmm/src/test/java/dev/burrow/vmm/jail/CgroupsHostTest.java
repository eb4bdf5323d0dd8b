package dev.burrow.vmm.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link Cgroups} on this host's real cgroup tree (root only): limits land in the files the
 * kernel enforces, a process joins by writing "0" into {@link VmCgroup#procsFiles()} as the
 * jailer's child does, and the kernel holds it to its memory, pids and cpu limits. Every test
 * uses its own instance id and removes what it made.
 */
@Tag("security")
class CgroupsHostTest {

    private static final Duration T = Duration.ofSeconds(10);
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private final String instance = "t" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final List<Process> started = new ArrayList<>();
    private Cgroups cgroups;

    @BeforeEach
    void onlyAsRoot() throws VmmException {
        assumeTrue(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "needs root");
        cgroups = Cgroups.forHost(instance);
    }

    @AfterEach
    void removeEverything() {
        started.forEach(p -> p.descendants().forEach(ProcessHandle::destroyForcibly));
        started.forEach(Process::destroyForcibly);
        for (Process p : started) {
            try {
                p.waitFor(T.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (cgroups != null) {
            cgroups.reapExcept(Set.of());
        }
    }

    /** {@code script} run by busybox sh after joining {@code cg} the way the jailer's child does. */
    private Process joined(VmCgroup cg, String script) throws IOException {
        List<String> argv = new ArrayList<>(List.of(BUSYBOX.toString(), "sh", "-c",
                "for f in \"$@\"; do echo 0 > \"$f\" || exit 99; done; " + script, "sh"));
        cg.procsFiles().forEach(f -> argv.add(f.toString()));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            LockSupport.parkNanos(5_000_000);
        }
    }

    private static String output(Process p) throws Exception {
        assertThat(p.waitFor(T.toSeconds(), TimeUnit.SECONDS)).as("process exits").isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String cgroupFile(VmCgroup cg, String name) throws IOException {
        for (Path d : cg.dirs()) {
            if (Files.exists(d.resolve(name))) {
                return Files.readString(d.resolve(name)).trim();
            }
        }
        throw new AssertionError(name + " is in none of " + cg.dirs());
    }

    @Test
    void theLimitsOfTheFormulaAreWhatTheKernelShowsAndAJoinedProcessIsInsideUntilTheCgroupIsRemoved() throws Exception {
        CgroupLimits limits = cgroups.limits(new MachineSpec(2, 384));
        VmCgroup cg = cgroups.create("vm1", limits);

        boolean v1 = cg.dirs().stream().anyMatch(d -> Files.exists(d.resolve("memory.limit_in_bytes")));
        if (v1) {
            assertThat(cgroupFile(cg, "cpu.cfs_quota_us")).isEqualTo(Long.toString(limits.cpuQuotaMicros()));
            assertThat(cgroupFile(cg, "cpu.cfs_period_us")).isEqualTo(Long.toString(limits.cpuPeriodMicros()));
            assertThat(cgroupFile(cg, "memory.limit_in_bytes")).isEqualTo(Long.toString(limits.memoryBytes()));
            assertThat(cgroupFile(cg, "cpu.shares")).isEqualTo(Long.toString(limits.cpuShares()));
            Path cpuDir = cg.dirs().stream().filter(d -> Files.exists(d.resolve("cpu.shares"))).findFirst().orElseThrow();
            assertThat(Files.readString(cpuDir.getParent().resolve("cpu.shares")).trim()).isEqualTo(Long.toString(cgroups.instanceShares()));
        } else {
            assertThat(cgroupFile(cg, "cpu.max")).isEqualTo(limits.cpuQuotaMicros() + " " + limits.cpuPeriodMicros());
            assertThat(cgroupFile(cg, "memory.max")).isEqualTo(Long.toString(limits.memoryBytes()));
            assertThat(cgroupFile(cg, "cpu.weight")).isEqualTo(Long.toString(CgroupLimits.cpuWeight(limits.cpuShares())));
        }
        assertThat(cgroupFile(cg, "pids.max")).isEqualTo(Long.toString(limits.pidsMax()));

        Process p = joined(cg, "exec " + BUSYBOX + " sleep 60");
        await("the process joins every hierarchy", () -> cg.procsFiles().stream().allMatch(f -> {
            try {
                return Files.readString(f).contains(Long.toString(p.pid()));
            } catch (IOException e) {
                return false;
            }
        }));
        assertThat(cg.processes()).containsExactly(p.pid());
        assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cgroup"))).contains("/burrow-" + instance + "/vm1");
        assertThat(cgroups.existing("vm1")).map(VmCgroup::dirs).contains(cg.dirs());

        p.destroyForcibly().waitFor();
        cg.remove();

        assertThat(cg.dirs()).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(cgroups.existing("vm1")).isEmpty();
    }

    @Test
    void aProcessStartedElsewhereCanBePlacedAndTheInstancesCgroupsGoWithTheReap() throws Exception {
        VmCgroup cg = cgroups.create("placed", cgroups.limits(new MachineSpec(1, 128)));
        Process p = new ProcessBuilder(BUSYBOX.toString(), "sleep", "60").start();
        started.add(p);

        cg.place(p.pid());

        assertThat(cg.processes()).containsExactly(p.pid());
        p.destroyForcibly().waitFor();
        cgroups.reapExcept(Set.of());
        assertThat(cg.dirs()).allSatisfy(d -> {
            assertThat(d).doesNotExist();
            assertThat(d.getParent()).as("the instance's directory").doesNotExist();
        });
    }

    @Test
    void aProcessThatAllocatesBeyondTheMemoryLimitIsKilledByTheKernelAndCounted() throws Exception {
        VmCgroup cg = cgroups.create("hog", new CgroupLimits(100_000, 100_000, 16L << 20, 16, 1024));

        // dd's 64 MiB buffer is filled from /dev/zero: every page is touched and charged
        Process p = joined(cg, "exec " + BUSYBOX + " dd if=/dev/zero of=/dev/null bs=64M count=1");
        output(p);

        assertThat(p.exitValue()).as("dd is SIGKILLed").isEqualTo(128 + 9);
        assertThat(cg.oomKills()).hasValueSatisfying(n -> assertThat(n).isGreaterThanOrEqualTo(1));
        assertThat(cg.memoryPeakBytes()).hasValueSatisfying(b -> assertThat(b).isLessThanOrEqualTo(16L << 20));
    }

    @Test
    void forksBeyondThePidsLimitFailInsideTheCgroup() throws Exception {
        VmCgroup cg = cgroups.create("forks", new CgroupLimits(100_000, 100_000, 64L << 20, 8, 1024));

        Process p = joined(cg, "i=0; while [ $i -lt 20 ]; do " + BUSYBOX + " sleep 60 >/dev/null 2>&1 & i=$((i+1)); done; echo started");
        String out = output(p);

        assertThat(out).containsIgnoringCase("fork");
        assertThat(cg.pidsCurrent()).hasValueSatisfying(n -> assertThat(n).isLessThanOrEqualTo(8));
        cg.processes().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        cg.remove();
    }

    @Test
    void aSpinningProcessIsThrottledToItsCpuQuota() throws Exception {
        VmCgroup cg = cgroups.create("spin", new CgroupLimits(10_000, 100_000, 64L << 20, 8, 1024));

        joined(cg, "while :; do :; done");

        await("the CFS quota throttles the spinning shell", () -> cg.cpuThrottledPeriods().orElse(0L) > 2);
    }
}
