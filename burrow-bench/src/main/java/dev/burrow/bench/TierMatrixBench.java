package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.du;
import static dev.burrow.bench.BenchSupport.firstByte;
import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.id;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.intsArg;
import static dev.burrow.bench.BenchSupport.loadAverage;
import static dev.burrow.bench.BenchSupport.ms;
import static dev.burrow.bench.BenchSupport.writeAndFsync;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.qemu.QemuHypervisor;
import dev.burrow.vmm.testing.EngineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The lifecycle figures of issue 8, in one run so every ratio compares the same machine state
 * (docs/PERFORMANCE.md, "Lifecycle (issue 8)"): both suspend tiers × guest memory × memory
 * dirtied, suspend time and resume to the first exec byte, interleaved round by round (in a
 * rotating order, each memory-tier resume's background removal of its save awaited) with runs
 * from the template and a host write + fsync control of the same size; then fork 1 → N from one
 * kept save; then many disk-tier cycles of one microVM.
 *
 * <pre>./scripts/bench-lifecycle [--runs 7] [--runs-large 7] [--small 512] [--large 4096]
 *     [--dirty 50,500] [--forks 8] [--fork-runs 3] [--cycles 50]</pre>
 *
 * <p>Every microVM is closed and every save discarded in {@code finally}; the fixtures' shutdown
 * hooks kill any VMM of their instance left behind and remove their data directories.
 */
public final class TierMatrixBench {

    private static final Duration T = Duration.ofSeconds(60);
    private static final Duration FILL_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SETTLE_POLL = Duration.ofMillis(10);
    /** What a guest keeps for its kernel and agent when asked to dirty more than it has: the fill stops short by this. */
    private static final long GUEST_RESERVE_MIB = 64;
    private static final int EDGE_CYCLES = 5;
    private static final long CYCLE_WRITE_KIB = 256;
    private static final double MEMORY_RESUME_TARGET_MS = 30;
    private static final double SIZE_RATIO_TARGET = 1.2;
    private static final double CONTROL_RATIO_TARGET = 2;
    private static final double FORK_RATIO_TARGET = 3;
    private static final double CYCLES_RATIO_TARGET = 1.1;
    
    public static void main(String[] args) {
        int code = 1;
        try {
            run(args);
            code = 0;
        } catch (Throwable t) {
            t.printStackTrace();
        } finally {
            System.exit(code); // the fixtures' shutdown hooks kill leftover VMMs and remove their data directories
        }
    }

    private static void run(String[] args) throws Exception {
        int runs = intArg(args, "--runs", 7);
        int runsLarge = intArg(args, "--runs-large", runs);
        int smallMiB = intArg(args, "--small", 512);
        int largeMiB = intArg(args, "--large", 4096);
        int[] dirties = intsArg(args, "--dirty", new int[] {50, 500});
        int forks = intArg(args, "--forks", 8);
        int forkRuns = intArg(args, "--fork-runs", 3);
        int cycles = intArg(args, "--cycles", 50);
        int controlMiB = dirties[dirties.length - 1]; // the control writes what the most-dirtied cells dirtied
        List<String> loads = new ArrayList<>();
        loads.add(loadAverage());
        Instant started = Instant.now();

        EngineFixture small = EngineFixture.create(new MachineSpec(1, smallMiB));
        EngineFixture large = EngineFixture.create(new MachineSpec(1, largeMiB));
        List<Cell> cells = new ArrayList<>();
        for (SuspendMode tier : SuspendMode.values()) {
            for (EngineFixture fx : List.of(small, large)) {
                for (int dirty : dirties) {
                    boolean largest = fx == large && dirty == dirties[dirties.length - 1];
                    cells.add(new Cell(fx, tier, dirty, largest ? runsLarge : runs));
                }
            }
        }
        Stats fromSmall = new Stats();
        Stats fromLarge = new Stats();
        Stats control = new Stats();
        StringBuilder md = new StringBuilder();
        try {
            for (Cell c : cells) {
                c.start();
            }
            loads.add(loadAverage());
            int rounds = Math.max(runs, runsLarge);
            for (int r = 0; r < rounds; r++) { // interleaved: every cell sees the same machine noise
                fromSmall.add(runFromTemplate(small));
                fromLarge.add(runFromTemplate(large));
                for (int i = 0; i < cells.size(); i++) { // rotated, so no cell always follows the same one
                    Cell c = cells.get((i + r) % cells.size());
                    if (r < c.runs) {
                        c.cycle();
                    }
                }
                control.add(writeAndFsync(small.dataDir.resolve("control-" + id("w", "l")), controlMiB));
                System.out.printf("round %d of %d done, load %s%n", r + 1, rounds, loadAverage());
            }
        } finally {
            for (Cell c : cells) {
                c.close();
            }
        }
        loads.add(loadAverage());
        String forkSmall = fork(small, forks, forkRuns, 0);
        String forkDirty = fork(small, forks, forkRuns, dirties[0]);
        loads.add(loadAverage());
        String chain = cycles > 0 ? cycles(small, cycles) : "";
        loads.add(loadAverage());

        QemuHypervisor e = small.engine;
        md.append("Lifecycle bench (issue 8), ").append(started).append(" → ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append('\n');
        md.append("QEMU ").append(e.profile().vmmVersion()).append(", accelerator ").append(e.accelerator())
                .append(", load average (1 min) at start / cells ready / matrix done / forks done / end: ")
                .append(String.join(" / ", loads)).append("\n\n");
        md.append("| tier | guest | dirtied (asked) | memory delta saved | save on disk | suspend p50 (p95) | resume → first exec byte p50 (p95) | n |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (Cell c : cells) {
            md.append(c.row());
        }
        md.append('\n');
        md.append("| reference | result |\n|---|---|\n");
        md.append("| run from the template to first exec byte, ").append(smallMiB).append(" MiB | ").append(fromSmall.summary()).append(" |\n");
        md.append("| run from the template to first exec byte, ").append(largeMiB).append(" MiB | ").append(fromLarge.summary()).append(" |\n");
        md.append("| control: write + fsync ").append(controlMiB).append(" MiB to a file in the data dir | ").append(control.summary()).append(" |\n");
        Stats exec = new Stats();
        cells.forEach(c -> c.runningExec.values().forEach(exec::add));
        md.append("| the same exec on a running microVM (no suspend; every cell, just before its suspend) | ").append(exec.summary()).append(" |\n");
        md.append(forkSmall).append(forkDirty).append(chain).append('\n');

        md.append("| target | measured | |\n|---|---|---|\n");
        for (Cell c : cells) {
            if (c.tier == SuspendMode.KEEP_VMM) {
                target(md, "memory-tier resume p50 ≤ " + (int) MEMORY_RESUME_TARGET_MS + " ms, " + c.label(),
                        String.format("%.1f ms", c.resume.percentile(50)), c.resume.percentile(50) <= MEMORY_RESUME_TARGET_MS);
            } else {
                Stats ref = c.fx == small ? fromSmall : fromLarge;
                double ratio = c.resume.percentile(50) / ref.percentile(50);
                target(md, "disk-tier resume p50 ≤ run from the template, " + c.label(),
                        String.format("%.0f ms vs %.0f ms (%.2f×)", c.resume.percentile(50), ref.percentile(50), ratio), ratio <= 1);
            }
        }
        for (SuspendMode tier : SuspendMode.values()) {
            Cell s = find(cells, tier, small, dirties[0]);
            Cell l = find(cells, tier, large, dirties[0]);
            double ratio = l.suspend.percentile(50) / s.suspend.percentile(50);
            target(md, String.format("suspend %d MiB ÷ %d MiB, %d MiB dirtied ≤ %.1f×, %s", largeMiB, smallMiB, dirties[0], SIZE_RATIO_TARGET, tierName(tier)),
                    String.format("%.0f ms ÷ %.0f ms = %.2f×", l.suspend.percentile(50), s.suspend.percentile(50), ratio), ratio <= SIZE_RATIO_TARGET);
        }
        for (Cell c : cells) {
            if (c.askedMiB == controlMiB) {
                double ratio = c.suspend.percentile(50) / control.percentile(50);
                target(md, String.format("suspend ≤ %.0f× write + fsync %d MiB, %s", CONTROL_RATIO_TARGET, controlMiB, c.label()),
                        String.format("%.0f ms ÷ %.0f ms = %.2f×", c.suspend.percentile(50), control.percentile(50), ratio), ratio <= CONTROL_RATIO_TARGET);
            }
        }
        md.append('\n');
        System.out.println("\n" + md);
        Path out = Path.of("burrow-bench", "target", "lifecycle-bench.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
        System.out.println("written to " + out.toAbsolutePath());
    }

    /** One cell of the matrix: one microVM, suspended and resumed in one tier, round after round. */
    private static final class Cell {
        final EngineFixture fx;
        final SuspendMode tier;
        final int askedMiB;
        final int runs;
        final String id = id("cell", "l");
        final Stats suspend = new Stats();
        final Stats resume = new Stats();
        final Stats deltaMiB = new Stats();
        final Stats savedMiB = new Stats();
        /** The same exec on the running microVM just before its suspend: what the guest's answer costs without any resume. */
        final Stats runningExec = new Stats();
        long dirtyMiB;
        MicroVm vm;

        Cell(EngineFixture fx, SuspendMode tier, int askedMiB, int runs) {
            this.fx = fx;
            this.tier = tier;
            this.askedMiB = askedMiB;
            this.dirtyMiB = askedMiB;
            this.runs = runs;
        }

        void start() throws Exception {
            vm = fx.engine.restore(fx.template, id, Identity.of(id));
            dirtyMiB = dirty(vm, askedMiB);
            System.out.printf("%s: %d MiB dirtied%n", label(), dirtyMiB);
        }

        void cycle() throws Exception {
            QemuHypervisor e = fx.engine;
            long t0 = System.nanoTime();
            firstByte(vm);
            runningExec.add(ms(t0));
            t0 = System.nanoTime();
            Template saved = e.suspend(vm, tier);
            suspend.add(ms(t0));
            deltaMiB.add(saved.deltaBytes() / 1048576.0);
            savedMiB.add(du(saved.dir()) / 1048576.0);
            if (saved.deltaBytes() < (dirtyMiB << 20)) {
                throw new IllegalStateException(label() + ": the save holds " + saved.deltaBytes() + " bytes of memory, less than the "
                        + dirtyMiB + " MiB dirtied");
            }
            if (tier == SuspendMode.END_VMM) {
                vm = null;
                e.discardSaved(id, saved.id()); // the previous round's save, outside the timing
            }
            t0 = System.nanoTime();
            vm = tier == SuspendMode.KEEP_VMM ? e.resumeKept(vm, Identity.of(id)) : e.restore(saved, id, Identity.of(id));
            firstByte(vm);
            resume.add(ms(t0));
            if (tier == SuspendMode.KEEP_VMM) {
                settle(saved.dir());
            }
        }

        void close() {
            closeQuietly(vm);
            fx.engine.discardSaved(id, null);
        }

        String label() {
            return String.format("%s, %d MiB guest, %d MiB dirtied", tierName(tier), fx.template.machine().memoryMiB(), dirtyMiB);
        }

        String row() {
            return String.format("| %s | %d MiB | %d MiB (%d) | %.1f MiB | %.1f MiB | %.0f ms (%.0f) | %.1f ms (%.1f) | %d |%n", tierName(tier),
                    fx.template.machine().memoryMiB(), dirtyMiB, askedMiB, deltaMiB.percentile(50), savedMiB.percentile(50),
                    suspend.percentile(50), suspend.percentile(95), resume.percentile(50), resume.percentile(95), suspend.count());
        }
    }

    /**
     * Fork 1 → {@code forks}: a running microVM is kept ({@code KEEP_VMM}), then restored
     * {@code forks} times at once; timed from the save to the last fork's first exec byte. Each
     * round first times one run from the template, the reference, in the same machine state.
     */
    private static String fork(EngineFixture fx, int forks, int runs, int dirtyMiB) throws Exception {
        QemuHypervisor e = fx.engine;
        String src = id("src", "l");
        MicroVm source = e.restore(fx.template, src, Identity.of(src));
        Stats all = new Stats();
        Stats suspend = new Stats();
        Stats delta = new Stats();
        Stats oneRun = new Stats();
        ExecutorService pool = Executors.newFixedThreadPool(forks);
        List<MicroVm> made = new ArrayList<>();
        try {
            long dirtied = dirtyMiB > 0 ? dirty(source, dirtyMiB) : 0;
            for (int r = 0; r < runs; r++) {
                oneRun.add(runFromTemplate(fx));
                long t0 = System.nanoTime();
                Template saved = e.suspend(source, SuspendMode.KEEP_VMM);
                suspend.add(ms(t0));
                delta.add(saved.deltaBytes() / 1048576.0);
                List<Future<MicroVm>> started = new ArrayList<>();
                t0 = System.nanoTime();
                for (int i = 0; i < forks; i++) {
                    String forkId = id("fork", "l");
                    started.add(pool.submit(() -> {
                        MicroVm vm = e.restore(saved, forkId, Identity.fresh(forkId));
                        synchronized (made) {
                            made.add(vm);
                        }
                        firstByte(vm);
                        return vm;
                    }));
                }
                for (Future<MicroVm> f : started) {
                    f.get(T.toSeconds(), TimeUnit.SECONDS);
                }
                double took = ms(t0);
                all.add(took);
                source = e.resumeKept(source, Identity.of(src));
                closeAll(e, made);
                System.out.printf("fork round %d: %d forks answered in %.0f ms%n", r + 1, forks, took);
            }
            double ratio = all.percentile(50) / oneRun.percentile(50);
            String what = dirtied > 0 ? dirtied + " MiB dirtied" : "nothing dirtied";
            return String.format("| fork 1 → %d (%s, %.1f MiB delta): from the kept save to all %d answering an exec | %s; ÷ one run from the template (p50 %.0f ms, timed before each round) %.2f× (target ≤ %.0f×: %s); kept suspend p50 %.0f ms |%n",
                    forks, what, delta.percentile(50), forks, all.summary(), oneRun.percentile(50), ratio, FORK_RATIO_TARGET,
                    verdict(ratio <= FORK_RATIO_TARGET), suspend.percentile(50));
        } finally {
            pool.shutdownNow();
            closeAll(e, made);
            closeQuietly(source);
            e.discardSaved(src, null);
        }
    }

    /** {@code cycles} disk-tier cycles of one microVM (it writes to its disk each time): resume early vs late, and a control. */
    private static String cycles(EngineFixture fx, int cycles) throws Exception {
        QemuHypervisor e = fx.engine;
        String id = id("chain", "l");
        MicroVm vm = e.restore(fx.template, id, Identity.of(id));
        Stats early = new Stats();
        Stats late = new Stats();
        long firstDelta = 0;
        long lastDelta = 0;
        try {
            for (int cycle = 1; cycle <= cycles; cycle++) {
                vm.agent().run(ExecRequest.of("sh", "-c", "dd if=/dev/urandom of=/root/c" + cycle + " bs=" + CYCLE_WRITE_KIB + "k count=1 2>/dev/null; sync"), T);
                Template saved = e.suspend(vm, SuspendMode.END_VMM);
                vm = null;
                e.discardSaved(id, saved.id());
                lastDelta = saved.deltaBytes();
                firstDelta = cycle == 1 ? lastDelta : firstDelta;
                long t0 = System.nanoTime();
                vm = e.restore(saved, id, Identity.of(id));
                firstByte(vm);
                double took = ms(t0);
                if (cycle <= EDGE_CYCLES) {
                    early.add(took);
                } else if (cycle > cycles - EDGE_CYCLES) {
                    late.add(took);
                }
            }
        } finally {
            closeQuietly(vm);
            e.discardSaved(id, null);
        }
        double ratio = late.percentile(50) / early.percentile(50);
        return String.format("| %d disk-tier cycles of one microVM (%d KiB written to its disk each; delta %.1f → %.1f MiB): resume p50 cycles 1-%d → %d-%d | %.0f ms → %.0f ms, %.2f× (target ≤ %.1f×: %s) |%n",
                cycles, CYCLE_WRITE_KIB, firstDelta / 1048576.0, lastDelta / 1048576.0, EDGE_CYCLES, cycles - EDGE_CYCLES + 1, cycles,
                early.percentile(50), late.percentile(50), ratio, CYCLES_RATIO_TARGET, verdict(ratio <= CYCLES_RATIO_TARGET));
    }

    /**
     * Dirties anonymous guest memory with non-zero pages (QEMU and the delta skip zero pages): a
     * file in the guest's tmpfs (plus its 1 MiB seed). A guest smaller than asked gets what it can spare
     * ({@link #GUEST_RESERVE_MIB} below its available memory). Returns the MiB written.
     */
    private static long dirty(MicroVm vm, long askedMiB) throws Exception {
        ExecResult avail = vm.agent().run(ExecRequest.of("sh", "-c", "grep MemAvailable /proc/meminfo"), T);
        long availMiB = Long.parseLong(avail.stdoutText().replaceAll("[^0-9]", "")) / 1024;
        long mib = Math.min(askedMiB, availMiB - GUEST_RESERVE_MIB);
        // a 1 MiB seed copied by cat: yes alone writes line by line, a syscall per 18 bytes (minutes under TCG)
        ExecResult fill = vm.agent().run(ExecRequest.of("sh", "-c", "mount -o remount,size=100% /dev/shm"
                + " && yes burrow-dirty-page | head -c 1048576 > /dev/shm/seed"
                + " && { while cat /dev/shm/seed; do :; done | head -c " + (mib << 20) + " > /dev/shm/fill; }"
                + " && stat -c %s /dev/shm/fill"), FILL_TIMEOUT);
        if (fill.exitCode() != 0 || Long.parseLong(fill.stdoutText().strip()) != mib << 20) {
            throw new IllegalStateException("dirtying " + mib + " MiB failed: " + fill.stdoutText() + fill.stderrText());
        }
        return mib;
    }

    private static double runFromTemplate(EngineFixture fx) throws Exception {
        long t0 = System.nanoTime();
        MicroVm vm = fx.restore();
        try {
            firstByte(vm);
            return ms(t0);
        } finally {
            vm.close();
        }
    }

    private static void closeAll(QemuHypervisor e, List<MicroVm> vms) {
        synchronized (vms) {
            for (MicroVm vm : vms) {
                closeQuietly(vm);
                e.discardSaved(vm.id(), null);
            }
            vms.clear();
        }
    }

    /**
     * Waits until a resumed memory-tier save's files are gone: the engine removes them in the
     * background, and a delta of hundreds of MiB being freed would slow whatever cell runs next.
     */
    private static void settle(Path saveDir) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        while (Files.exists(saveDir)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the resumed save " + saveDir + " is still there after " + SETTLE_TIMEOUT);
            }
            Thread.sleep(SETTLE_POLL.toMillis());
        }
    }

    /** Cleanup goes on past a microVM that fails to close (the fixtures' shutdown hooks kill what is left). */
    private static void closeQuietly(MicroVm vm) {
        if (vm == null) {
            return;
        }
        try {
            vm.close();
        } catch (Exception e) {
            System.err.println("closing " + vm.id() + " failed: " + e);
        }
    }

    private static Cell find(List<Cell> cells, SuspendMode tier, EngineFixture fx, int asked) {
        return cells.stream().filter(c -> c.tier == tier && c.fx == fx && c.askedMiB == asked).findFirst().orElseThrow();
    }

    private static void target(StringBuilder md, String what, String measured, boolean met) {
        md.append("| ").append(what).append(" | ").append(measured).append(" | ").append(verdict(met)).append(" |\n");
    }

    private static String verdict(boolean met) {
        return met ? "met" : "**missed**";
    }

    private static String tierName(SuspendMode tier) {
        return tier == SuspendMode.KEEP_VMM ? "memory tier" : "disk tier";
    }

    private TierMatrixBench() {}
}
