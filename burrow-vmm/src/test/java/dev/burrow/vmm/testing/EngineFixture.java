package dev.burrow.vmm.testing;

import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.jail.Cgroups;
import dev.burrow.vmm.kernel.KernelCache;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * One engine and one busybox template per test JVM: the cold boot (seconds under TCG) happens
 * once, every test restores from it. Everything lives in a fresh data directory (own instance
 * id), removed when the JVM exits.
 */
public final class EngineFixture {

    private static EngineFixture shared;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final Path dataDir;
    public final QemuHypervisor engine;
    public final Template template;
    public final long coldBootMillis;

    private EngineFixture(Path dataDir, QemuHypervisor engine, Template template, long coldBootMillis) {
        this.dataDir = dataDir;
        this.engine = engine;
        this.template = template;
        this.coldBootMillis = coldBootMillis;
    }

    public static synchronized EngineFixture get() throws Exception {
        if (shared == null) {
            shared = create(MachineSpec.DEFAULT);
        }
        return shared;
    }

    public static EngineFixture create(MachineSpec machine) throws Exception {
        return create(machine, UnaryOperator.identity());
    }

    /** The same with the engine's settings changed by {@code settings} (e.g. the jail off, to measure it). */
    public static EngineFixture create(MachineSpec machine, UnaryOperator<EngineConfig> settings) throws Exception {
        Path dataDir = Files.createTempDirectory("burrow-test-");
        EngineConfig config = settings.apply(EngineConfig.defaults(dataDir, KernelCache.cacheDirFromEnvironment()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            killVmms(config.instanceId()); // a failed test may have left some; they outlive the JVM by design
            if (config.jail()) {
                try {
                    Cgroups.forHost(config.instanceId()).reapExcept(Set.of()); // their cgroups and the instance's directory
                } catch (VmmException e) {
                    System.err.println("cgroups of " + config.instanceId() + ": " + e.getMessage());
                }
            }
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(config.runDir());
        }));
        QemuHypervisor engine = QemuHypervisor.start(config);
        Path rootfs = BusyboxRootfs.build(dataDir.resolve("image"), 1024);
        long t0 = System.nanoTime();
        MicroVm builder = engine.boot("template-builder", machine, rootfs, Identity.fresh("template"));
        long coldBoot = (System.nanoTime() - t0) / 1_000_000;
        warmUp(builder);
        Template t = engine.snapshot(builder, dataDir.resolve("templates").resolve("busybox"));
        return new EngineFixture(dataDir, engine, t, coldBoot);
    }

    /** SIGKILLs every VMM whose -name carries this instance id (the jailers then exit) and waits until they are gone. */
    static void killVmms(String instanceId) {
        List<ProcessHandle> vmms = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-system") && c.contains("-name " + instanceId + "/")).orElse(false))
                .toList();
        vmms.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : vmms) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // its cgroup stays and says so
            }
        }
    }

    /**
     * Runs what users will run once before the snapshot, so the template's page cache already
     * holds the shell and the first exec of every restored microVM does not read the disk.
     */
    public static void warmUp(MicroVm vm) throws Exception {
        for (String[] cmd : new String[][] {{"sh", "-c", "true"}, {"echo", "warm"}, {"cat", "/etc/hostname"}}) {
            vm.agent().run(dev.burrow.vmm.agent.ExecRequest.of(cmd), java.time.Duration.ofSeconds(60));
        }
    }

    /** A restored microVM with a unique id and hostname. */
    public MicroVm restore() throws Exception {
        String id = "vm" + COUNTER.incrementAndGet() + "x" + Long.toString(System.nanoTime() % 100000, 36);
        return engine.restore(template, id, Identity.fresh(id));
    }
}
