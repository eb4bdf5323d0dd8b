package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.firstByte;
import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.id;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.testing.EngineFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * <pre>./scripts/bench-idle [--vms 10] [--settle 5] [--window 20] [--tb-size MiB] [--show 'guest shell command']
 *     [--candidate-machine ',pit=off'] [--candidate-env MALLOC_ARENA_MAX=2] [--candidate-append 'nowatchdog']
 *     [--candidate-merge-any] [--candidate-thp-off] [--candidate-restore-without-kernel] [--ksm]</pre>
 *
 * <p>A {@code --candidate-*} option measures a change beside the baseline in the same run: a
 * second engine, whose QEMU is a wrapper that appends to the machine options or the guest's
 * command line, sets the VMM's environment, marks the whole process mergeable for KSM
 * ({@code PR_SET_MEMORY_MERGE}), turns transparent huge pages off for it ({@code PR_SET_THP_DISABLE})
 * or restores without {@code -kernel}, {@code -initrd} and {@code -append}, boots its own template, and N microVMs of each are restored
 * interleaved and measured over the same window. Both engines then run unjailed (the wrapper is
 * not inside a jail's root). {@code --ksm} measures a second window with the host's KSM on
 * (ksmd's CPU counted), then restores KSM's settings.
 *
 * <p>More than {@link #UNGUARDED_VMS} microVMs (the issue's 200) take minutes to restore under
 * TCG and most of the host's memory: they need {@code --many} as well.
 */
public final class IdleBench {

    /** The most microVMs the bench restores without {@code --many}. */
    static final int UNGUARDED_VMS = 20;
    /** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
    static final long USER_HZ = 100;
    private static final Duration EXEC_WAIT = Duration.ofSeconds(60);
    /** Failed restores (counted and reported) after which the run stops restoring and measures what runs. */
    private static final int MAX_FAILED_RESTORES = 10;
    /** The QEMU a candidate's wrapper runs. */
    private static final String QEMU = "/usr/bin/qemu-system-x86_64";
    /** prctl(2) PR_SET_MEMORY_MERGE (Linux 6.4+): every anonymous mapping of the process becomes KSM-mergeable. */
    private static final int PR_SET_MEMORY_MERGE = 67;
    /** prctl(2) PR_SET_THP_DISABLE: no transparent huge pages for the process (kept across execve). */
    private static final int PR_SET_THP_DISABLE = 41;
    private static final Path KSM = Path.of("/sys/kernel/mm/ksm");
    /** KSM scan rate while the bench has it on: pages per wake-up, wake-ups every {@link #KSM_SLEEP_MS}. */
    private static final int KSM_PAGES_TO_SCAN = 1000;
    private static final int KSM_SLEEP_MS = 20;
    /** Full KSM passes over every mergeable page before its window starts, and the longest wait for them. */
    private static final int KSM_FULL_SCANS = 2;
    private static final Duration KSM_WAIT = Duration.ofMinutes(5);

    /** One engine's microVMs: the baseline, or a candidate. */
    private record Group(String label, EngineFixture fx, List<MicroVm> vms) {}

    public static void main(String[] args) throws Exception {
        int count = intArg(args, "--vms", 10);
        int settleSeconds = intArg(args, "--settle", 5);
        int windowSeconds = intArg(args, "--window", 20);
        int tbSizeMiB = intArg(args, "--tb-size", 0);
        String machine = stringArg(args, "--candidate-machine");
        String env = stringArg(args, "--candidate-env");
        String append = stringArg(args, "--candidate-append");
        boolean mergeAny = List.of(args).contains("--candidate-merge-any");
        boolean thpOff = List.of(args).contains("--candidate-thp-off");
        boolean noKernel = List.of(args).contains("--candidate-restore-without-kernel");
        boolean ksm = List.of(args).contains("--ksm");
        boolean candidate = machine != null || env != null || append != null || mergeAny || thpOff || noKernel;
        int total = candidate ? 2 * count : count;
        if (total > UNGUARDED_VMS && !List.of(args).contains("--many")) {
            System.err.println("more than " + UNGUARDED_VMS + " microVMs takes minutes and much memory: add --many");
            System.exit(2);
        }
        StringBuilder md = new StringBuilder();
        md.append("Idle benchmark, ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append("; load before: ").append(loadAverage()).append("\n\n");
        List<Group> groups = new ArrayList<>();
        EngineFixture base = EngineFixture.create(MachineSpec.DEFAULT,
                c -> (tbSizeMiB > 0 ? c.withTbSizeMiB(tbSizeMiB) : c).withJail(c.jail() && !candidate));
        groups.add(new Group("baseline", base, new ArrayList<>()));
        if (candidate) {
            Path wrapper = wrapper(base.dataDir.resolve("qemu-candidate"), machine, env, append, mergeAny, thpOff, noKernel);
            EngineFixture cand = EngineFixture.create(MachineSpec.DEFAULT,
                    c -> (tbSizeMiB > 0 ? c.withTbSizeMiB(tbSizeMiB) : c).withJail(false).withQemuBinary(wrapper.toString()));
            groups.add(new Group("candidate:" + (machine == null ? "" : " -M …" + machine) + (env == null ? "" : " env " + env)
                    + (append == null ? "" : " append " + append) + (mergeAny ? " PR_SET_MEMORY_MERGE" : "")
                    + (thpOff ? " PR_SET_THP_DISABLE" : "") + (noKernel ? " restored without -kernel" : ""), cand, new ArrayList<>()));
        }
        md.append("QEMU ").append(base.engine.profile().vmmVersion()).append(", accelerator ").append(base.engine.accelerator())
                .append(", guest ").append(MachineSpec.DEFAULT.vcpus()).append(" vCPU / ").append(MachineSpec.DEFAULT.memoryMiB())
                .append(" MiB, TCG cache ").append(base.engine.config().tbSizeMiB()).append(" MiB, jail ")
                .append(base.engine.config().jail() ? "on" : "off").append("\n\n");
        Map<String, String> ksmBefore = new TreeMap<>();
        try {
            long r0 = System.nanoTime();
            List<String> failed = new ArrayList<>();
            restoring:
            for (int i = 0; i < count; i++) {
                for (Group g : groups) { // interleaved: both groups see the same host while they are restored
                    try {
                        MicroVm vm = g.fx.engine.restore(g.fx.template, id("idle", "i"), Identity.fresh("idle" + i));
                        try {
                            firstByte(vm);
                        } catch (AgentException e) {
                            vm.close();
                            throw e;
                        }
                        g.vms.add(vm);
                    } catch (VmmException | AgentException e) {
                        // counted, not the end of the run: the table still says how many of N were measured
                        failed.add(g.label + " #" + i + ": " + e.getMessage().lines().findFirst().orElse(""));
                        if (failed.size() >= MAX_FAILED_RESTORES) {
                            break restoring; // the host cannot take more: measure the ones that run
                        }
                    }
                }
            }
            md.append(String.format("restored %d of %d microVMs (each answered its first exec) in %.1f s; load %s%n",
                    groups.stream().mapToInt(g -> g.vms.size()).sum(), total, (System.nanoTime() - r0) / 1e9, loadAverage()));
            failed.forEach(f -> md.append("- failed: ").append(f).append('\n'));
            md.append('\n');
            // guests go idle after their first exec; a fixed settle is the measured quantity's
            // definition here (idle = nothing asked of it for this long), not a wait on a condition
            LockSupport.parkNanos(Duration.ofSeconds(settleSeconds).toNanos());
            md.append(window(groups, windowSeconds, "KSM " + (ksmRunning() ? "on" : "off")));
            if (ksm) {
                ksmBefore.putAll(readKsm());
                long scans = ksmOn();
                long k0 = System.nanoTime();
                awaitFullScans(scans + KSM_FULL_SCANS);
                md.append(String.format("%nKSM on: %d full scans took %.0f s (pages_to_scan %d, sleep %d ms)%n", KSM_FULL_SCANS,
                        (System.nanoTime() - k0) / 1e9, KSM_PAGES_TO_SCAN, KSM_SLEEP_MS));
                long ksmd0 = ksmdTicks();
                long w0 = System.nanoTime();
                String row = window(groups, windowSeconds, "KSM on");
                double ksmdPct = 100.0 * (ksmdTicks() - ksmd0) / USER_HZ / ((System.nanoTime() - w0) / 1e9);
                md.append(row).append(String.format("ksmd over the window: %.2f %% of a core; %s%n", ksmdPct, ksmPages()));
            }
            for (Group g : groups) {
                int answered = 0;
                for (MicroVm vm : g.vms) {
                    try {
                        if (vm.agent().run(ExecRequest.of("true"), EXEC_WAIT).exitCode() == 0) {
                            answered++;
                        }
                    } catch (AgentException e) {
                        System.err.println(vm.id() + " did not answer after idling: " + e.getMessage());
                    }
                }
                md.append(String.format("%n%s: %d of %d answered an exec after idling%n", g.label, answered, g.vms.size()));
            }
            String show = stringArg(args, "--show");
            if (show != null) {
                for (Group g : groups) {
                    md.append("\n`").append(show).append("` in the first microVM of ").append(g.label).append(":\n```\n")
                            .append(g.vms.getFirst().agent().run(ExecRequest.of("sh", "-c", show), EXEC_WAIT).stdoutText()).append("```\n");
                }
            }
            md.append("\nload after: ").append(loadAverage()).append('\n');
        } finally {
            if (!ksmBefore.isEmpty()) {
                restoreKsm(ksmBefore);
            }
            for (Group g : groups) {
                for (MicroVm vm : g.vms) {
                    vm.close();
                }
            }
        }
        System.out.println(md);
        System.exit(0);
    }

    /** Every group measured over one window: a table row each, then where the first microVM of each spent its time. */
    private static String window(List<Group> groups, int windowSeconds, String note) throws Exception {
        StringBuilder md = new StringBuilder();
        List<String> irqBefore = new ArrayList<>();
        List<Map<String, Long>> threadsBefore = new ArrayList<>();
        List<long[]> before = new ArrayList<>();
        for (Group g : groups) {
            irqBefore.add(interrupts(g.vms.getFirst()));
            threadsBefore.add(threadTicks(g.vms.getFirst().pid()));
        }
        for (Group g : groups) {
            before.add(cpuTicks(g.vms));
        }
        long t0 = System.nanoTime();
        LockSupport.parkNanos(Duration.ofSeconds(windowSeconds).toNanos());
        List<long[]> after = new ArrayList<>();
        for (Group g : groups) {
            after.add(cpuTicks(g.vms));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        md.append("| ").append(note).append(" | idle microVMs | window | CPU per microVM p50 / max | CPU all together"
                + " | PSS per microVM p50 / max | of which guest RAM / TCG cache / heap (p50) |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            Stats cpu = new Stats();
            Stats pss = new Stats();
            Stats ram = new Stats();
            Stats tcg = new Stats();
            Stats heap = new Stats();
            double all = 0;
            for (int i = 0; i < g.vms.size(); i++) {
                double pct = 100.0 * (after.get(gi)[i] - before.get(gi)[i]) / USER_HZ / seconds;
                cpu.add(pct);
                all += pct;
                MicroVm vm = g.vms.get(i);
                Smaps m = Smaps.of(vm.pid(), vm.machine().memoryMiB(), g.fx.engine.config().tbSizeMiB());
                pss.add(m.pssKiB() / 1024.0);
                ram.add(m.guestRamPssKiB() / 1024.0);
                tcg.add(m.tcgCachePssKiB() / 1024.0);
                heap.add(m.heapPssKiB() / 1024.0);
            }
            md.append(String.format("| %s | %d | %.0f s | %.2f %% / %.2f %% of a core | %.2f cores | %.1f / %.1f MiB | %.1f / %.1f / %.1f MiB |%n",
                    g.label, g.vms.size(), seconds, cpu.percentile(50), cpu.percentile(100), all / 100.0, pss.percentile(50),
                    pss.percentile(100), ram.percentile(50), tcg.percentile(50), heap.percentile(50)));
        }
        md.append("load: ").append(loadAverage()).append('\n');
        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            Map<String, Long> threadsAfter = threadTicks(g.vms.getFirst().pid());
            md.append("\n").append(g.label).append(", the first microVM's QEMU threads (ticks over the window): ");
            Map<String, Long> was = threadsBefore.get(gi);
            threadsAfter.forEach((k, v) -> md.append(k).append(' ').append(v - was.getOrDefault(k, 0L)).append("; "));
            md.append("\nits guest's timer interrupts (LOC) before / after: ").append(timerLine(irqBefore.get(gi))).append(" / ")
                    .append(timerLine(interrupts(g.vms.getFirst()))).append('\n');
        }
        return md.toString();
    }

    /**
     * A QEMU wrapper (Python, since it may call prctl) that changes the command line and
     * environment as the candidate says, then execs QEMU in place (same pid).
     */
    private static Path wrapper(Path file, String machine, String env, String append, boolean mergeAny, boolean thpOff,
                                boolean noKernel) throws IOException {
        StringBuilder py = new StringBuilder("#!/usr/bin/python3\nimport os, sys\na = sys.argv[1:]\n");
        py.append("for i in range(len(a) - 1):\n");
        py.append("    if a[i] == '-M': a[i + 1] += ").append(pyString(machine == null ? "" : machine)).append('\n');
        py.append("    elif a[i] == '-append': a[i + 1] += ").append(pyString(append == null ? "" : " " + append)).append('\n');
        if (env != null) {
            for (String kv : env.split(",")) {
                String[] p = kv.split("=", 2);
                py.append("os.environ[").append(pyString(p[0])).append("] = ").append(pyString(p[1])).append('\n');
            }
        }
        if (noKernel) {
            // a restore's RAM comes from the template: QEMU's copy of the kernel for fw_cfg is never read
            py.append("if '-incoming' in a:\n");
            py.append("    for opt in ('-kernel', '-initrd', '-append'):\n");
            py.append("        i = a.index(opt); del a[i:i + 2]\n");
        }
        List<Integer> prctls = new ArrayList<>();
        if (mergeAny) {
            prctls.add(PR_SET_MEMORY_MERGE);
        }
        if (thpOff) {
            prctls.add(PR_SET_THP_DISABLE);
        }
        for (int option : prctls) {
            py.append("import ctypes\nif ctypes.CDLL(None).prctl(").append(option).append(", 1, 0, 0, 0) != 0: sys.exit(120)\n");
        }
        py.append("os.execv(").append(pyString(QEMU)).append(", [").append(pyString(QEMU)).append("] + a)\n");
        Files.writeString(file, py);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static boolean ksmRunning() {
        try {
            return Files.readString(KSM.resolve("run")).strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    private static Map<String, String> readKsm() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String f : List.of("run", "pages_to_scan", "sleep_millisecs")) {
            out.put(f, Files.readString(KSM.resolve(f)).strip());
        }
        return out;
    }

    /** Turns KSM on at the bench's rate; the full-scan count it started from. */
    private static long ksmOn() throws IOException {
        long scans = Long.parseLong(Files.readString(KSM.resolve("full_scans")).strip());
        Files.writeString(KSM.resolve("pages_to_scan"), Integer.toString(KSM_PAGES_TO_SCAN));
        Files.writeString(KSM.resolve("sleep_millisecs"), Integer.toString(KSM_SLEEP_MS));
        Files.writeString(KSM.resolve("run"), "1");
        return scans;
    }

    private static void awaitFullScans(long target) throws IOException {
        long deadline = System.nanoTime() + KSM_WAIT.toNanos();
        while (Long.parseLong(Files.readString(KSM.resolve("full_scans")).strip()) < target) {
            if (System.nanoTime() > deadline) {
                throw new IOException("KSM did not finish " + KSM_FULL_SCANS + " full scans within " + KSM_WAIT.toSeconds() + " s");
            }
            LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
        }
    }

    private static void restoreKsm(Map<String, String> was) {
        try {
            // run last: "2" would unmerge, "0" stops scanning but keeps what is merged
            Files.writeString(KSM.resolve("pages_to_scan"), was.get("pages_to_scan"));
            Files.writeString(KSM.resolve("sleep_millisecs"), was.get("sleep_millisecs"));
            Files.writeString(KSM.resolve("run"), was.get("run"));
        } catch (IOException e) {
            System.err.println("could not restore KSM's settings " + was + ": " + e.getMessage());
        }
    }

    private static String ksmPages() throws IOException {
        return "pages_shared " + Files.readString(KSM.resolve("pages_shared")).strip() + ", pages_sharing "
                + Files.readString(KSM.resolve("pages_sharing")).strip() + ", ksm_zero_pages "
                + Files.readString(KSM.resolve("ksm_zero_pages")).strip();
    }

    /** utime+stime of the ksmd kernel thread so far. */
    private static long ksmdTicks() throws IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    if (stat.contains("(ksmd)")) {
                        return ProcStat.cpuTicks(stat);
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        throw new IOException("no ksmd thread");
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

    /** The local timer line of /proc/interrupts, its count only. */
    private static String timerLine(String interrupts) {
        return interrupts.lines().filter(l -> l.strip().startsWith("LOC:")).findFirst()
                .map(l -> l.strip().split("\\s+")[1]).orElse("?");
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
