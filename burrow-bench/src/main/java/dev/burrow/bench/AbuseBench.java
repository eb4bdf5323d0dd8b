package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;
import static dev.burrow.bench.BenchSupport.ms;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.jail.CgroupLimits;
import dev.burrow.vmm.jail.VmCgroup;
import dev.burrow.vmm.testing.CgroupedEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Abuse benchmark (docs/PERFORMANCE.md, docs/adr cgroups-and-abuse): a neighbour microVM's exec
 * latency ({@code true}, through the agent) while the machine is quiet, then while another
 * microVM runs each abuse — a fork bomb, a memory hog, a disk filler — in one run, side by side.
 * Every VMM runs in its own cgroup with the engine's limits (started inside it, as the jailer
 * starts it). Target: the neighbour's p50 within 3x of quiet. Quiet is measured again after each
 * abuse, and each abuse is compared with the quiet run before it, because a shared host's load drifts.
 *
 * <pre>./scripts/bench-abuse [--runs 200] [--vcpus 1] [--memory 512] [--disk 1024] [--ramp 20]</pre>
 *
 * <p>{@code --cpu N} instead measures the CPU allowance ({@link CgroupLimits#CPU_ALLOWANCE_MICROS}):
 * the exec latency of a guest whose every vCPU spins, with its cgroup's quota at one CPU per
 * vCPU and then with the allowance on top, N execs each, beside the same guest idle.
 */
public final class AbuseBench {

    private static final Duration T = Duration.ofSeconds(60);
    /** The neighbour's p50 during an abuse may be at most this many times its quiet p50. */
    private static final double TARGET_RATIO = 3.0;

    /** Each abuse runs in the background and keeps going until its microVM ends. */
    private static final Map<String, String> ABUSES = new LinkedHashMap<>();

    static {
        ABUSES.put("fork bomb", "f(){ f|f& }; f");
        ABUSES.put("memory hog", "while :; do for i in 1 2 3; do dd if=/dev/zero of=/dev/null bs=200M count=1 & done; wait; done");
        ABUSES.put("disk filler", "while :; do dd if=/dev/zero of=/fill bs=1M; sync; rm -f /fill; done");
    }

    private AbuseBench() {}

    public static void main(String[] args) throws Exception {
        int runs = intArg(args, "--runs", 200);
        int ramp = intArg(args, "--ramp", 20);
        MachineSpec machine = new MachineSpec(intArg(args, "--vcpus", 1), intArg(args, "--memory", 512));
        int diskMiB = intArg(args, "--disk", 1024);
        CgroupedEngine e = CgroupedEngine.get(machine, diskMiB);
        int cpuRuns = intArg(args, "--cpu", 0);
        if (cpuRuns > 0) {
            cpuAllowance(e, machine, cpuRuns, ramp);
            System.exit(0);
        }
        StringBuilder md = new StringBuilder();
        md.append("Abuse benchmark, ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append('\n');
        md.append("QEMU ").append(e.engine.profile().vmmVersion()).append(", accelerator ").append(e.engine.accelerator())
                .append("; each microVM ").append(machine.vcpus()).append(" vCPU, ").append(machine.memoryMiB()).append(" MiB, ")
                .append(diskMiB).append(" MiB disk; cgroup limits ").append(e.limits).append("\n");
        md.append("cgroups: ").append(e.cgroups.describe()).append("\n\n");

        String nid = CgroupedEngine.newId("quiet");
        e.cgroupFor(nid);
        MicroVm neighbour = e.restore(nid);
        try {
            md.append("| neighbour's exec `true` | p50 | p95 | max | p50 vs quiet | abuser VMM CPUs | abuser memory peak | abuser pids max"
                    + " | host load average |\n");
            md.append("|---|---|---|---|---|---|---|---|---|\n");
            probe(neighbour, ramp);
            Stats quiet = probe(neighbour, runs);
            md.append(quietRow(quiet));
            System.out.print(md);
            for (Map.Entry<String, String> abuse : ABUSES.entrySet()) {
                System.out.print(during(e, neighbour, abuse.getKey(), abuse.getValue(), runs, ramp, quiet.percentile(50)));
                // the host is shared: each abuse is compared with the quiet run right before it
                quiet = probe(neighbour, runs);
                System.out.print(quietRow(quiet));
            }
        } finally {
            neighbour.close();
            e.cgroups.existing(nid).orElseThrow().remove();
        }
        System.out.println("target: p50 within " + TARGET_RATIO + "x of quiet; load average after: " + loadAverage());
        System.exit(0);
    }

    private static String quietRow(Stats quiet) {
        return String.format("| quiet | %.1f ms | %.1f ms | %.1f ms | 1.0x | – | – | – | %s |%n",
                quiet.percentile(50), quiet.percentile(95), quiet.percentile(100), loadAverage());
    }

    private static String during(CgroupedEngine e, MicroVm neighbour, String name, String script, int runs, int ramp, double quietP50)
            throws Exception {
        String id = CgroupedEngine.newId("abuse");
        VmCgroup cg = e.cgroupFor(id);
        MicroVm abuser = e.restore(id);
        try {
            ExecResult r = abuser.agent().run(ExecRequest.of("sh", "-c", "(" + script + ") >/dev/null 2>&1 & exit 0"), T);
            if (r.exitCode() != 0) {
                throw new IllegalStateException(name + " did not start: " + r.stderrText());
            }
            probe(neighbour, ramp);
            long cpu0 = cpuTicks(abuser.pid());
            long t0 = System.nanoTime();
            long pidsMax = 0;
            Stats s = new Stats();
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                run(neighbour);
                s.add(ms(t));
                pidsMax = Math.max(pidsMax, cg.pidsCurrent().orElse(0L));
            }
            double cpus = (cpuTicks(abuser.pid()) - cpu0) / 100.0 / ((System.nanoTime() - t0) / 1e9);
            double ratio = s.percentile(50) / quietP50;
            return String.format("| during a %s | %.1f ms | %.1f ms | %.1f ms | %.1fx%s | %.2f | %d MiB of %d | %d of %d | %s |%n", name,
                    s.percentile(50), s.percentile(95), s.percentile(100), ratio, ratio <= TARGET_RATIO ? "" : " (over target)",
                    cpus, cg.memoryPeakBytes().orElse(-1L) >> 20, e.limits.memoryBytes() >> 20, pidsMax, e.limits.pidsMax(), loadAverage());
        } finally {
            abuser.close();
            cg.remove();
        }
    }

    private static void cpuAllowance(CgroupedEngine e, MachineSpec m, int runs, int ramp) throws Exception {
        System.out.println("CPU allowance, " + Instant.now() + "\nhost: " + host() + "; load average " + loadAverage()
                + "\nguest: " + m.vcpus() + " vCPU, " + m.memoryMiB() + " MiB, TCG; every vCPU spinning\n");
        System.out.println("| quota per 100 ms period | guest's own exec `true` p50 | p95 | max | VMM CPUs | throttled periods |");
        System.out.println("|---|---|---|---|---|---|");
        String id = CgroupedEngine.newId("spin");
        VmCgroup cg = e.cgroupFor(id);
        MicroVm vm = e.restore(id);
        try {
            probe(vm, ramp);
            Stats idle = probe(vm, runs);
            System.out.printf("| %d ms, guest idle | %.1f ms | %.1f ms | %.1f ms | – | – |%n", e.limits.cpuQuotaMicros() / 1000,
                    idle.percentile(50), idle.percentile(95), idle.percentile(100));
            for (int i = 0; i < m.vcpus(); i++) {
                run(vm, "sh", "-c", "(while :; do :; done) >/dev/null 2>&1 & exit 0");
            }
            long base = m.vcpus() * CgroupLimits.CPU_PERIOD_MICROS;
            StringBuilder split = new StringBuilder();
            for (long quota : new long[] {base, base + CgroupLimits.CPU_ALLOWANCE_MICROS}) {
                e.cgroups.create(id, new CgroupLimits(quota, CgroupLimits.CPU_PERIOD_MICROS, e.limits.memoryBytes(), e.limits.pidsMax(),
                        e.limits.cpuShares()));
                probe(vm, ramp);
                long throttled0 = cg.cpuThrottledPeriods().orElse(0L);
                long cpu0 = cpuTicks(vm.pid());
                Map<String, Long> threads0 = threadTicks(vm.pid());
                long t0 = System.nanoTime();
                Stats s = probe(vm, runs);
                double cpus = (cpuTicks(vm.pid()) - cpu0) / 100.0 / ((System.nanoTime() - t0) / 1e9);
                Map<String, Long> threads = threadTicks(vm.pid());
                threads.replaceAll((name, ticks) -> ticks - threads0.getOrDefault(name, 0L));
                System.out.printf("| %d ms%s | %.1f ms | %.1f ms | %.1f ms | %.2f | %d |%n", quota / 1000,
                        quota == base ? " (one CPU per vCPU)" : " (with the allowance)", s.percentile(50), s.percentile(95),
                        s.percentile(100), cpus, cg.cpuThrottledPeriods().orElse(0L) - throttled0);
                List<Long> byThread = threads.values().stream().sorted(Comparator.reverseOrder()).toList();
                long rest = byThread.stream().skip(m.vcpus()).mapToLong(Long::longValue).sum();
                split.append(String.format("%d ms: the %d busiest QEMU threads (the spinning vCPUs) %s ticks, the other %d threads %d ticks"
                        + " (%.1f %% of the VMM's CPU)%n", quota / 1000, m.vcpus(), byThread.subList(0, Math.min(m.vcpus(), byThread.size())),
                        byThread.size() - m.vcpus(), rest, 100.0 * rest / Math.max(1, byThread.stream().mapToLong(Long::longValue).sum())));
            }
            System.out.print(split);
        } finally {
            vm.close();
            cg.remove();
        }
        System.out.println("load average after: " + loadAverage());
    }

    private static Stats probe(MicroVm vm, int runs) throws Exception {
        Stats s = new Stats();
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            run(vm);
            s.add(ms(t));
        }
        return s;
    }

    private static void run(MicroVm vm) throws Exception {
        run(vm, "true");
    }

    private static void run(MicroVm vm, String... argv) throws Exception {
        ExecResult r = vm.agent().run(ExecRequest.of(argv), T);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderrText());
        }
    }

    /** User + system ticks of each thread of {@code pid}, by thread id (QEMU 7.2 names no threads without debug-threads). */
    private static Map<String, Long> threadTicks(long pid) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String st = Files.readString(task.resolve("stat"));
                    String name = task.getFileName().toString();
                    String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                    out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException gone) {
                    // the thread ended
                }
            }
        }
        return out;
    }

    /** The process's user + system time in clock ticks (/proc/PID/stat fields 14 and 15, USER_HZ 100). */
    private static long cpuTicks(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
