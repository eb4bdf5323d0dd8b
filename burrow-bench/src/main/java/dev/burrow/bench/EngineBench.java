package dev.burrow.bench;

import static dev.burrow.bench.BenchSupport.du;
import static dev.burrow.bench.BenchSupport.firstByte;
import static dev.burrow.bench.BenchSupport.host;
import static dev.burrow.bench.BenchSupport.id;
import static dev.burrow.bench.BenchSupport.intArg;
import static dev.burrow.bench.BenchSupport.loadAverage;
import static dev.burrow.bench.BenchSupport.ms;
import static dev.burrow.bench.BenchSupport.writeAndFsync;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MemoryModel;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.qemu.QemuHypervisor;
import dev.burrow.vmm.testing.BusyboxRootfs;
import dev.burrow.vmm.testing.EngineFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine benchmark, everything measured side by side in one run (docs/PERFORMANCE.md):
 * cold boot vs restore to the first exec byte, restore at 512 MiB vs a large guest, host memory
 * per idle microVM, and the cost of saving a running microVM under each memory model.
 *
 * <pre>./scripts/bench-engine [--runs 25] [--cold 5] [--large 4096] [--idle 8]</pre>
 *
 * <p>{@code --exec-throughput MiB} instead measures exec stdout throughput only: {@code head -c
 * MiB /dev/zero} in a restored busybox microVM, read through the agent channel, {@code --runs}
 * times (one line per run, for comparing builds run by turns).
 *
 * <p>{@code --tiers N} instead measures the suspend tiers only (docs/adr/0011): N memory-tier and
 * N disk-tier suspend/resume cycles to the first exec byte beside N runs from the template, then
 * {@code --cycles} (50) disk-tier cycles of one microVM: resume time early and late, chain depth
 * and disk use. {@code --tier-sizes MiB} measures both tiers at 512 MiB (50 MiB dirtied) and MiB of
 * guest RAM (50 and 500 MiB dirtied), beside writing and fsyncing as many bytes to the same disk.
 *
 * <p>{@code --standby N} instead measures the ways {@code restore(template, identity)} starts a
 * microVM (issue 13), interleaved, N rounds: a standby claimed (without and with the standby
 * warm-up exec), a warm VMM's restore and a restore from nothing, each to the first byte of
 * {@code echo} (split at the restore's return), with the load average. Each starts with its pool
 * full; the refill a claim starts runs during its exec, as it would in a daemon.
 */
public final class EngineBench {

    private static final Duration T = Duration.ofSeconds(60);
    
    public static void main(String[] args) throws Exception {
        int throughputMiB = intArg(args, "--exec-throughput", 0);
        if (throughputMiB > 0) {
            execThroughput(throughputMiB, intArg(args, "--runs", 5));
            System.exit(0);
        }
        int sizesLarge = intArg(args, "--tier-sizes", 0);
        if (sizesLarge > 0) {
            tierSizes(sizesLarge);
            System.exit(0);
        }
        int tierRuns = intArg(args, "--tiers", 0);
        if (tierRuns > 0) {
            tiers(tierRuns, intArg(args, "--cycles", 50));
            System.exit(0);
        }
        int standbyRuns = intArg(args, "--standby", 0);
        if (standbyRuns > 0) {
            standby(standbyRuns);
            System.exit(0);
        }
        int runs = intArg(args, "--runs", 25);
        int coldRuns = intArg(args, "--cold", 5);
        int largeMiB = intArg(args, "--large", 4096);
        int idle = intArg(args, "--idle", 8);
        StringBuilder md = new StringBuilder();
        md.append("Engine benchmark, ").append(Instant.now()).append('\n');
        md.append("host: ").append(host()).append("\n\n");

        EngineFixture small = EngineFixture.create(new MachineSpec(1, 512));
        EngineFixture large = EngineFixture.create(new MachineSpec(1, largeMiB));
        QemuHypervisor engine = small.engine;
        md.append("QEMU ").append(engine.profile().vmmVersion()).append(", accelerator ").append(engine.accelerator())
                .append(", TCG tb-size ").append(engine.config().tbSizeMiB()).append(" MiB, kernel ")
                .append(engine.profile().kernel()).append("\n\n");

        // 1. cold boot vs restore, to the first byte of an exec's output
        Path rootfs = BusyboxRootfs.build(small.dataDir.resolve("bench-image"), 1024);
        Stats cold = new Stats();
        for (int i = 0; i < coldRuns; i++) {
            long t0 = System.nanoTime();
            MicroVm vm = engine.boot(id("cold", "b"), new MachineSpec(1, 512), rootfs, Identity.fresh("cold"));
            firstByte(vm);
            cold.add(ms(t0));
            vm.close();
        }
        Stats restore512 = new Stats();
        Stats restoreLarge = new Stats();
        for (int i = 0; i < runs; i++) { // interleaved so both sizes see the same machine noise
            restore512.add(restoreToFirstByte(small));
            restoreLarge.add(restoreToFirstByte(large));
        }
        // the same restore with the VMM process already started (warm pool of one)
        Stats warm = new Stats();
        engine.keepWarm(small.template, 1);
        for (int i = 0; i < runs; i++) {
            while (engine.warmReady(small.template) < 1) {
                Thread.sleep(5); // measure only once the refill (which competes for CPU) is done
            }
            long t0 = System.nanoTime();
            MicroVm vm = engine.restore(small.template, Identity::fresh);
            firstByte(vm);
            warm.add(ms(t0));
            vm.close();
        }
        engine.keepWarm(small.template, 0);
        md.append("| measurement | result |\n|---|---|\n");
        md.append("| cold boot to first exec byte (512 MiB) | ").append(cold.summary()).append(" |\n");
        md.append("| restore to first exec byte (512 MiB) | ").append(restore512.summary()).append(" |\n");
        md.append("| restore to first exec byte (").append(largeMiB).append(" MiB) | ").append(restoreLarge.summary()).append(" |\n");
        md.append("| restore to first exec byte, warm VMM (512 MiB) | ").append(warm.summary()).append(" |\n");
        md.append(String.format("| cold boot ÷ restore (p50) | %.1f× |%n", cold.percentile(50) / restore512.percentile(50)));
        md.append(String.format("| cold boot ÷ warm restore (p50) | %.1f× |%n", cold.percentile(50) / warm.percentile(50)));
        md.append(String.format("| restore %d MiB ÷ 512 MiB (p50) | %.2f× |%n%n", largeMiB, restoreLarge.percentile(50) / restore512.percentile(50)));

        // 2. memory per idle microVM, and 3. the cost of saving one, under each memory model
        md.append("| memory model | restore p50 | PSS per idle microVM (guest RAM / TCG cache / rest) | jailer PSS |\n|---|---|---|---|\n");
        StringBuilder save = new StringBuilder("| memory model / call | guest | dirtied | save (stop + state + fsync) | state file | delta | resume to first exec byte |\n|---|---|---|---|---|---|---|\n");
        for (MemoryModel model : MemoryModel.values()) {
            QemuHypervisor e = QemuHypervisor.start(engine.config().withMemoryModel(model));
            md.append(idleMemory(e, small.template, idle, model));
            QemuHypervisor el = QemuHypervisor.start(large.engine.config().withMemoryModel(model));
            for (boolean suspend : model == MemoryModel.PRIVATE ? new boolean[] {false, true} : new boolean[] {true}) {
                save.append(saveCost(e, small, model, 512, 50, suspend));
                save.append(saveCost(el, large, model, largeMiB, 50, suspend));
                save.append(saveCost(el, large, model, largeMiB, 500, suspend));
            }
        }
        md.append('\n').append(save);
        System.out.println("\n" + md);
        Path out = Path.of("burrow-bench", "target", "engine-bench.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
        System.out.println("written to " + out.toAbsolutePath());
        System.exit(0); // the fixtures' shutdown hooks remove their data directories
    }

    /** Reads {@code mib} MiB of an exec's stdout through the channel; prints MB/s per run. */
    private static void execThroughput(int mib, int runs) throws Exception {
        EngineFixture fx = EngineFixture.create(new MachineSpec(1, 512));
        MicroVm vm = fx.restore();
        try {
            for (int i = 0; i < runs; i++) {
                ExecSession s = vm.agent().exec(ExecRequest.of("head", "-c", Long.toString((long) mib << 20), "/dev/zero"));
                long bytes = 0;
                long frames = 0;
                long t0 = System.nanoTime();
                while (true) {
                    ExecEvent e = s.next(T);
                    if (e instanceof ExecEvent.Stdout o) {
                        bytes += o.data().length;
                        frames++;
                    } else if (e instanceof ExecEvent.Exit) {
                        break;
                    } else if (e == null || e instanceof ExecEvent.Failed) {
                        throw new IllegalStateException("exec throughput run failed: " + e);
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (bytes != (long) mib << 20) {
                    throw new IllegalStateException("read " + bytes + " bytes, expected " + ((long) mib << 20));
                }
                System.out.printf("exec-throughput run %d: %d MiB in %.2f s = %.1f MB/s (%d frames)%n", i + 1, mib, seconds,
                        bytes / 1e6 / seconds, frames);
            }
        } finally {
            vm.close();
        }
    }

    /** Both suspend tiers side by side, then many disk-tier cycles of one microVM. */
    private static void tiers(int runs, int cycles) throws Exception {
        EngineFixture fx = EngineFixture.create(new MachineSpec(1, 512));
        QemuHypervisor e = fx.engine;
        Stats fromTemplate = new Stats();
        Stats memorySuspend = new Stats();
        Stats memoryResume = new Stats();
        Stats diskSuspend = new Stats();
        Stats diskResume = new Stats();
        String kept = id("kept", "b");
        MicroVm k = e.restore(fx.template, kept, Identity.of(kept));
        String cycled = id("disk", "b");
        MicroVm d = e.restore(fx.template, cycled, Identity.of(cycled));
        for (int i = 0; i < runs; i++) { // interleaved so every kind sees the same machine noise
            fromTemplate.add(restoreToFirstByte(fx));

            long t0 = System.nanoTime();
            e.suspend(k, SuspendMode.KEEP_VMM);
            memorySuspend.add(ms(t0));
            t0 = System.nanoTime();
            k = e.resumeKept(k, Identity.of(kept));
            firstByte(k);
            memoryResume.add(ms(t0));

            t0 = System.nanoTime();
            Template saved = e.suspend(d, SuspendMode.END_VMM);
            diskSuspend.add(ms(t0));
            e.discardSaved(cycled, saved.id());
            t0 = System.nanoTime();
            d = e.restore(saved, cycled, Identity.of(cycled));
            firstByte(d);
            diskResume.add(ms(t0));
        }
        k.close();
        d.close();
        e.discardSaved(cycled, null);

        String id = id("chain", "b");
        MicroVm vm = e.restore(fx.template, id, Identity.of(id));
        Stats early = new Stats();
        Stats late = new Stats();
        int maxChain = 0;
        long maxBytes = 0;
        long firstDelta = 0;
        long lastDelta = 0;
        for (int cycle = 1; cycle <= cycles; cycle++) {
            vm.agent().run(ExecRequest.of("sh", "-c", "dd if=/dev/urandom of=/root/c" + cycle + " bs=256k count=1 2>/dev/null; sync"), T);
            Template saved = e.suspend(vm, SuspendMode.END_VMM);
            e.discardSaved(id, saved.id());
            lastDelta = saved.deltaBytes();
            firstDelta = cycle == 1 ? lastDelta : firstDelta;
            long t0 = System.nanoTime();
            vm = e.restore(saved, id, Identity.of(id));
            firstByte(vm);
            double took = ms(t0);
            if (cycle <= 5) {
                early.add(took);
            } else if (cycle > cycles - 5) {
                late.add(took);
            }
            maxChain = Math.max(maxChain, chainLength(vm.dir().resolve("disk.qcow2")));
            maxBytes = Math.max(maxBytes, du(e.config().dataDir().resolve("suspended").resolve(id)) + du(vm.dir()));
        }
        vm.close();
        e.discardSaved(id, null);
        // control: as many dirtied pages as cycle 50 had, from the first cycle on, so only the chain differs
        String ctl = id("control", "b");
        vm = e.restore(fx.template, ctl, Identity.of(ctl));
        vm.agent().run(ExecRequest.of("sh", "-c", "mount -o remount,size=90% /dev/shm; yes burrow | head -c "
                + Math.max(0, lastDelta - firstDelta) + " > /dev/shm/fill"), T);
        Stats control = new Stats();
        long controlDelta = 0;
        for (int cycle = 1; cycle <= 5; cycle++) {
            Template saved = e.suspend(vm, SuspendMode.END_VMM);
            e.discardSaved(ctl, saved.id());
            controlDelta = saved.deltaBytes();
            long t0 = System.nanoTime();
            vm = e.restore(saved, ctl, Identity.of(ctl));
            firstByte(vm);
            control.add(ms(t0));
        }
        vm.close();
        e.discardSaved(ctl, null);

        StringBuilder md = new StringBuilder("Suspend tiers, ").append(Instant.now()).append(", ").append(host()).append('\n');
        md.append("QEMU ").append(e.profile().vmmVersion()).append(", accelerator ").append(e.accelerator()).append(", 512 MiB guest\n\n");
        md.append("| measurement | result |\n|---|---|\n");
        md.append("| run from the template to first exec byte | ").append(fromTemplate.summary()).append(" |\n");
        md.append("| memory tier: suspend (stop + delta + state + fsync) | ").append(memorySuspend.summary()).append(" |\n");
        md.append("| memory tier: resume to first exec byte | ").append(memoryResume.summary()).append(" |\n");
        md.append("| disk tier: suspend (the same + end VMM + fold) | ").append(diskSuspend.summary()).append(" |\n");
        md.append("| disk tier: resume to first exec byte | ").append(diskResume.summary()).append(" |\n");
        md.append(String.format("| disk-tier resume ÷ run from the template (p50) | %.2f× |%n", diskResume.percentile(50) / fromTemplate.percentile(50)));
        md.append(String.format("| %d disk-tier cycles (256 KiB written each): resume p50, cycles 1-5 → %d-%d | %.0f ms → %.0f ms (%.2f×) |%n",
                cycles, cycles - 4, cycles, early.percentile(50), late.percentile(50), late.percentile(50) / early.percentile(50)));
        md.append(String.format("| memory delta (what the guest dirtied since the template), cycle 1 → %d | %.1f MiB → %.1f MiB |%n",
                cycles, firstDelta / 1048576.0, lastDelta / 1048576.0));
        md.append(String.format("| control: cycles 1-5 of a microVM dirtying as much (%.1f MiB delta): resume p50 | %.0f ms; cycles %d-%d ÷ control %.2f× |%n",
                controlDelta / 1048576.0, control.percentile(50), cycles - 4, cycles, late.percentile(50) / control.percentile(50)));
        md.append(String.format("| deepest disk chain of the running microVM (files, raw root included) | %d |%n", maxChain));
        md.append(String.format("| most disk used by its saves + running files | %.1f MiB |%n", maxBytes / 1048576.0));
        System.out.println("\n" + md);
    }

    /** Both tiers' suspend and resume at two guest sizes and two amounts of dirtied memory. */
    private static void tierSizes(int largeMiB) throws Exception {
        StringBuilder md = new StringBuilder("Suspend tiers by size, ").append(Instant.now()).append(", ").append(host()).append("\n\n");
        md.append("| guest | dirtied | write + fsync as much | disk tier: suspend | resume to first byte | memory tier: suspend | resume to first byte |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (int guestMiB : new int[] {512, largeMiB}) {
            EngineFixture fx = EngineFixture.create(new MachineSpec(1, guestMiB));
            QemuHypervisor e = fx.engine;
            for (int dirtyMiB : guestMiB == 512 ? new int[] {50} : new int[] {50, 500}) { // 500 MiB of tmpfs does not fit in 512
                double write = writeAndFsync(fx.dataDir.resolve("write-baseline"), dirtyMiB);
                String id = id("size", "b");
                MicroVm vm = e.restore(fx.template, id, Identity.of(id));
                var fill = vm.agent().run(ExecRequest.of("sh", "-c", "mount -o remount,size=90% /dev/shm; yes burrow-dirty-page | head -c "
                        + ((long) dirtyMiB << 20) + " > /dev/shm/fill"), Duration.ofMinutes(5));
                if (fill.exitCode() != 0) {
                    throw new IllegalStateException("dirtying " + dirtyMiB + " MiB failed: " + fill.stderrText());
                }
                long t0 = System.nanoTime();
                Template saved = e.suspend(vm, SuspendMode.END_VMM);
                double diskSuspend = ms(t0);
                e.discardSaved(id, saved.id());
                t0 = System.nanoTime();
                vm = e.restore(saved, id, Identity.of(id));
                firstByte(vm);
                double diskResume = ms(t0);
                t0 = System.nanoTime();
                e.suspend(vm, SuspendMode.KEEP_VMM);
                double memorySuspend = ms(t0);
                t0 = System.nanoTime();
                vm = e.resumeKept(vm, Identity.of(id));
                firstByte(vm);
                double memoryResume = ms(t0);
                vm.close();
                e.discardSaved(id, null);
                md.append(String.format("| %d MiB | %d MiB | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n", guestMiB, dirtyMiB, write,
                        diskSuspend, diskResume, memorySuspend, memoryResume));
            }
        }
        System.out.println("\n" + md);
    }

    /** Files in a disk's backing chain, itself included, as qemu-img sees it (-U: its VMM holds the lock). */
    private static int chainLength(Path disk) throws Exception {
        Process p = new ProcessBuilder("qemu-img", "info", "-U", "--backing-chain", disk.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("qemu-img info failed: " + out);
        }
        return (int) out.lines().filter(l -> l.startsWith("image: ")).count();
    }

    /** Standby claim vs warm VMM vs restore from nothing, to the first exec byte, interleaved. */
    private static void standby(int runs) throws Exception {
        EngineFixture fx = EngineFixture.create(new MachineSpec(1, 512));
        QemuHypervisor e = fx.engine;
        Template t = fx.template;
        String[] names = {"standby claimed", "standby claimed, warm-up exec on", "warm VMM", "from nothing"};
        int kinds = names.length;
        Stats[] total = new Stats[kinds];
        Stats[] restore = new Stats[kinds];
        Stats[] exec = new Stats[kinds];
        for (int k = 0; k < kinds; k++) {
            total[k] = new Stats();
            restore[k] = new Stats();
            exec[k] = new Stats();
        }
        Stats load = new Stats();
        for (int i = 0; i < runs; i++) {
            load.add(Double.parseDouble(loadAverage()));
            for (int k = 0; k < 2; k++) {
                e.standbyWarmUp(k == 1);
                e.keepStandby(t, 1);
                while (e.standbyReady(t) < 1) {
                    Thread.sleep(5); // measured once the pool is full; the refill the claim starts runs during the exec, as in a daemon
                }
                measure(() -> e.restore(t, Identity::fresh), StartPath.STANDBY, total[k], restore[k], exec[k]);
                e.dropWarm(t); // ends the refill the claim started, waiting for it
            }
            e.keepWarm(t, 1);
            while (e.warmReady(t) < 1) {
                Thread.sleep(5);
            }
            measure(() -> e.restore(t, Identity::fresh), StartPath.WARM, total[2], restore[2], exec[2]);
            e.dropWarm(t);
            measure(() -> e.restore(t, id("cold", "s"), Identity.fresh("cold")), StartPath.COLD, total[3], restore[3], exec[3]);
        }
        String[] pss = {standbyPss(fx, false), standbyPss(fx, true)};
        StringBuilder md = new StringBuilder();
        md.append("Engine standby benchmark, ").append(Instant.now()).append(", ").append(runs).append(" interleaved rounds\n");
        md.append("host: ").append(host()).append(", QEMU ").append(e.profile().vmmVersion()).append(", accelerator ")
                .append(e.accelerator()).append(String.format(", load average (1 min) p50 %.2f, max %.2f%n%n", load.percentile(50), load.percentile(100)));
        md.append("| start path | restore(template, identity) | then exec `echo x` first byte | total to first byte |\n|---|---|---|---|\n");
        for (int k = 0; k < kinds; k++) {
            md.append("| ").append(names[k]).append(" | ").append(restore[k].summary()).append(" | ").append(exec[k].summary())
                    .append(" | ").append(total[k].summary()).append(" |\n");
        }
        md.append(String.format("| standby ÷ warm VMM, ÷ from nothing (p50 total) | %.2f×, %.2f× (warm-up on: %.2f×, %.2f×) | | |%n",
                total[0].percentile(50) / total[2].percentile(50), total[0].percentile(50) / total[3].percentile(50),
                total[1].percentile(50) / total[2].percentile(50), total[1].percentile(50) / total[3].percentile(50)));
        md.append("\nPSS of one paused standby (guest RAM / TCG cache): ").append(pss[0]).append("; with the warm-up exec: ")
                .append(pss[1]).append('\n');
        System.out.println("\n" + md);
    }

    /** The PSS of one standby of the fixture's template once it is paused (its directory holds the engine's standby mark). */
    private static String standbyPss(EngineFixture fx, boolean warmUp) throws Exception {
        QemuHypervisor e = fx.engine;
        e.standbyWarmUp(warmUp);
        e.keepStandby(fx.template, 1);
        while (e.standbyReady(fx.template) < 1) {
            Thread.sleep(5);
        }
        try (var dirs = Files.list(fx.dataDir.resolve("vms"))) {
            Path dir = dirs.filter(d -> Files.exists(d.resolve("standby"))).findFirst().orElseThrow();
            long pid = Long.parseLong(Files.readString(dir.resolve("vmm.pid")).strip().split("\\s+")[0]);
            Smaps m = Smaps.of(pid, fx.template.machine().memoryMiB(), e.config().tbSizeMiB());
            return String.format("%.1f MiB (%.1f / %.1f)", m.pssKiB() / 1024.0, m.guestRamPssKiB() / 1024.0, m.tcgCachePssKiB() / 1024.0);
        } finally {
            e.keepStandby(fx.template, 0);
        }
    }

    /** One way of starting a microVM. */
    @FunctionalInterface
    private interface Start {
        MicroVm start() throws Exception;
    }

    /** Times one start and its first exec byte, checks how it started, closes it. */
    private static void measure(Start how, StartPath expected, Stats total, Stats restore, Stats exec) throws Exception {
        long t0 = System.nanoTime();
        MicroVm vm = how.start();
        long t1 = System.nanoTime();
        try {
            firstByte(vm);
            total.add(ms(t0));
            restore.add((t1 - t0) / 1e6);
            exec.add(ms(t1));
            if (vm.startPath() != expected) {
                throw new IllegalStateException("expected a " + expected + " start, got " + vm.startPath());
            }
        } finally {
            vm.close();
        }
    }

    private static double restoreToFirstByte(EngineFixture fx) throws Exception {
        long t0 = System.nanoTime();
        MicroVm vm = fx.restore();
        firstByte(vm);
        double took = ms(t0);
        vm.close();
        return took;
    }

    private static String idleMemory(QemuHypervisor e, Template t, int count, MemoryModel model) throws Exception {
        List<MicroVm> vms = new ArrayList<>();
        Stats restore = new Stats();
        try {
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                MicroVm vm = e.restore(t, id("idle", "b"), Identity.fresh("idle"));
                firstByte(vm);
                restore.add(ms(t0));
                vms.add(vm);
            }
            Thread.sleep(3000); // let every guest settle into idle before measuring
            long pss = 0;
            long ram = 0;
            long tcg = 0;
            long jailer = 0;
            for (MicroVm vm : vms) {
                Smaps s = Smaps.of(vm.pid(), vm.machine().memoryMiB(), e.config().tbSizeMiB());
                pss += s.pssKiB();
                ram += s.guestRamPssKiB();
                tcg += s.tcgCachePssKiB();
                long parent = ProcessHandle.of(vm.pid()).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
                if (parent > 0) {
                    jailer += Smaps.of(parent, 0, 0).pssKiB();
                }
            }
            int n = vms.size();
            return String.format("| %s | %.1f ms | %.1f MiB (%.1f / %.1f / %.1f) | %.2f MiB |%n", model, restore.percentile(50),
                    pss / 1024.0 / n, ram / 1024.0 / n, tcg / 1024.0 / n, (pss - ram - tcg) / 1024.0 / n, jailer / 1024.0 / n);
        } finally {
            for (MicroVm vm : vms) {
                vm.close();
            }
        }
    }

    private static String saveCost(QemuHypervisor e, EngineFixture fx, MemoryModel model, int guestMiB, int dirtyMiB, boolean suspend) throws Exception {
        MicroVm vm = e.restore(fx.template, id("save", "b"), Identity.fresh("save"));
        // non-zero pages (QEMU sends zero pages as a flag): fill tmpfs, which lives in guest RAM
        var fill = vm.agent().run(ExecRequest.of("sh", "-c", "mount -o remount,size=90% /dev/shm; yes burrow-dirty-page | head -c "
                + ((long) dirtyMiB << 20) + " > /dev/shm/fill && ls -l /dev/shm/fill"), Duration.ofMinutes(5));
        if (fill.exitCode() != 0) {
            throw new IllegalStateException("dirtying " + dirtyMiB + " MiB failed: " + fill.stderrText());
        }
        Path dir = fx.dataDir.resolve("templates").resolve(vm.id());
        long t0 = System.nanoTime();
        Template saved = suspend ? e.suspend(vm, dir) : e.snapshot(vm, dir);
        double took = ms(t0);
        long state = Files.size(saved.state());
        long delta = saved.deltaBytes();
        t0 = System.nanoTime();
        MicroVm back = e.restore(saved, id("resumed", "b"), Identity.fresh("resumed"));
        firstByte(back);
        double resume = ms(t0);
        back.close();
        FileTrees.delete(dir);
        return String.format("| %s / %s | %d MiB | %d MiB | %.0f ms | %.1f MiB | %.1f MiB | %.0f ms |%n", model, suspend ? "suspend" : "snapshot",
                guestMiB, dirtyMiB, took, state / 1048576.0, delta / 1048576.0, resume);
    }

    private EngineBench() {}

}
