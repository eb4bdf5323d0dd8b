package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.firstByte;
import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.id;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * What an idle microVM costs the host (issue 13 item 4, docs/PERFORMANCE.md "Idle microVMs"):
 * N busybox microVMs restored from one template and left alone; then, over a window, the host
 * CPU each QEMU process uses ({@code /proc/PID/stat} utime+stime deltas) and its PSS
 * ({@code /proc/PID/smaps}, split as the engine bench does); afterwards every one must still answer an exec.
 *
 * <pre>./scripts/bench-idle [--vms 10] [--settle 5] [--window 20] [--tb-size MiB] [--show 'guest shell command']</pre>
 *
 * <p>More than {@link #UNGUARDED_VMS} microVMs (the 200) take minutes to restore under
 * TCG and most of the host's memory: they need {@code --many} as well.
 */
public final class IdleBench {

    /** The most microVMs the bench restores without {@code --many}. */
    static final int UNGUARDED_VMS = 20;
    /** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
    static final long USER_HZ = 100;
    private static final Duration EXEC_WAIT = Duration.ofSeconds(60);

    public static void main(String[] args) throws Exception {
        int count = intArg(args, "--vms", 10);
        int settleSeconds = intArg(args, "--settle", 5);
        int windowSeconds = intArg(args, "--window", 20);
        int tbSizeMiB = intArg(args, "--tb-size", 0);
        if (count > UNGUARDED_VMS && !List.of(args).contains("--many")) {
            System.err.println("more than " + UNGUARDED_VMS + " microVMs takes minutes and much memory: add --many");
            System.exit(2);
        }
        StringBuilder md = new StringBuilder();
        md.append("Idle benchmark, ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append("; load before: ").append(loadAverage()).append("\n\n");
        EngineFixture fx = EngineFixture.create(MachineSpec.DEFAULT, c -> tbSizeMiB > 0 ? c.withTbSizeMiB(tbSizeMiB) : c);
        md.append("QEMU ").append(fx.engine.profile().vmmVersion()).append(", accelerator ").append(fx.engine.accelerator())
                .append(", guest ").append(MachineSpec.DEFAULT.vcpus()).append(" vCPU / ").append(MachineSpec.DEFAULT.memoryMiB())
                .append(" MiB, TCG cache ").append(fx.engine.config().tbSizeMiB()).append(" MiB\n\n");
        List<MicroVm> vms = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                MicroVm vm = fx.engine.restore(fx.template, id("idle", "i"), Identity.fresh("idle" + i));
                firstByte(vm);
                vms.add(vm);
            }
            // guests go idle after their first exec; a fixed settle is the measured quantity's
            // definition here (idle = nothing asked of it for this long), not a wait on a condition
            LockSupport.parkNanos(Duration.ofSeconds(settleSeconds).toNanos());
            String irqBefore = interrupts(vms.getFirst());
            Map<String, Long> threadsBefore = threadTicks(vms.getFirst().pid());
            long[] before = cpuTicks(vms);
            long t0 = System.nanoTime();
            LockSupport.parkNanos(Duration.ofSeconds(windowSeconds).toNanos());
            long[] after = cpuTicks(vms);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Long> threadsAfter = threadTicks(vms.getFirst().pid());
            String irqAfter = interrupts(vms.getFirst());
            Stats cpu = new Stats();
            Stats pss = new Stats();
            Stats ram = new Stats();
            Stats tcg = new Stats();
            double total = 0;
            for (int i = 0; i < vms.size(); i++) {
                double pct = 100.0 * (after[i] - before[i]) / USER_HZ / seconds;
                cpu.add(pct);
                total += pct;
                Smaps m = Smaps.of(vms.get(i).pid(), vms.get(i).machine().memoryMiB(), fx.engine.config().tbSizeMiB());
                pss.add(m.pssKiB() / 1024.0);
                ram.add(m.guestRamPssKiB() / 1024.0);
                tcg.add(m.tcgCachePssKiB() / 1024.0);
            }
            int answered = 0;
            for (MicroVm vm : vms) {
                try {
                    if (vm.agent().run(ExecRequest.of("true"), EXEC_WAIT).exitCode() == 0) {
                        answered++;
                    }
                } catch (AgentException e) {
                    System.err.println(vm.id() + " did not answer after idling: " + e.getMessage());
                }
            }
            md.append("| idle microVMs | window | CPU per microVM p50 / max | CPU all together | PSS per microVM p50 / max"
                    + " | of which guest RAM / TCG cache (p50) | answer exec after |\n");
            md.append("|---|---|---|---|---|---|---|\n");
            md.append(String.format("| %d | %.0f s | %.2f %% / %.2f %% of a core | %.2f cores | %.1f / %.1f MiB | %.1f / %.1f MiB | %d of %d |%n",
                    count, seconds, cpu.percentile(50), cpu.percentile(100), total / 100.0, pss.percentile(50), pss.percentile(100),
                    ram.percentile(50), tcg.percentile(50), answered, count));
            md.append("\nwhere the first microVM's time went (QEMU threads, ticks over the window): ");
            threadsAfter.forEach((k, v) -> md.append(k).append(' ').append(v - threadsBefore.getOrDefault(k, 0L)).append("; "));
            md.append("\n\nits guest's /proc/interrupts before and after the window:\n```\n").append(irqBefore).append("---\n").append(irqAfter)
                    .append("```\n");
            String show = stringArg(args, "--show");
            if (show != null) {
                md.append("\n`").append(show).append("` in the first microVM:\n```\n")
                        .append(vms.getFirst().agent().run(ExecRequest.of("sh", "-c", show), EXEC_WAIT).stdoutText()).append("```\n");
            }
            md.append("\nload after: ").append(loadAverage()).append('\n');
        } finally {
            for (MicroVm vm : vms) {
                vm.close();
            }
        }
        System.out.println(md);
        System.exit(0);
    }

    /** utime+stime of each VMM process so far, in USER_HZ ticks (-1 for one that is gone). */
    static long[] cpuTicks(List<MicroVm> vms) {
        long[] out = new long[vms.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = ProcStat.cpuTicks(Files.readString(Path.of("/proc", Long.toString(vms.get(i).pid()), "stat")));
            } catch (IOException e) {
                out[i] = -1;
            }
        }
        return out;
    }

    private static String stringArg(String[] args, String name) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return null;
    }

    /** The guest's interrupt counters, read by an exec (which adds a few of its own). */
    private static String interrupts(MicroVm vm) throws Exception {
        return vm.agent().run(ExecRequest.of("cat", "/proc/interrupts"), EXEC_WAIT).stdoutText();
    }

    /** utime+stime per thread of a process, keyed by thread name and id. */
    static Map<String, Long> threadTicks(long pid) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                String line = Files.readString(t.resolve("stat"));
                String name = line.substring(line.indexOf('(') + 1, line.lastIndexOf(')'));
                out.put(name + "/" + t.getFileName(), ProcStat.cpuTicks(line));
            }
        }
        return out;
    }

    private IdleBench() {}
}
