package dev.burrow.vmm.testing;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.jail.CgroupLimits;
import dev.burrow.vmm.jail.Cgroups;
import dev.burrow.vmm.jail.VmCgroup;
import dev.burrow.vmm.kernel.KernelCache;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An engine of jailed VMMs, each in the cgroup the engine makes for it (burrow-jailer joins it
 * before QEMU starts, so every page and thread of QEMU is charged there), with a handle on those
 * cgroups for the tests that read their peaks. One template of the given machine and disk size per
 * JVM and shape; removed, VMMs and cgroups included, when the JVM exits.
 */
public final class CgroupedEngine {

    private static final Map<String, CgroupedEngine> SHARED = new HashMap<>();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final QemuHypervisor engine;
    public final Template template;
    public final Cgroups cgroups;
    public final CgroupLimits limits;
    public final int diskMiB;

    private CgroupedEngine(QemuHypervisor engine, Template template, Cgroups cgroups, CgroupLimits limits, int diskMiB) {
        this.engine = engine;
        this.template = template;
        this.cgroups = cgroups;
        this.limits = limits;
        this.diskMiB = diskMiB;
    }

    /** The engine for {@code machine} with a root disk of {@code diskMiB}, booted once per JVM. */
    public static synchronized CgroupedEngine get(MachineSpec machine, int diskMiB) throws Exception {
        String key = machine + "/" + diskMiB;
        CgroupedEngine e = SHARED.get(key);
        if (e == null) {
            e = create(machine, diskMiB);
            SHARED.put(key, e);
        }
        return e;
    }

    private static CgroupedEngine create(MachineSpec machine, int diskMiB) throws Exception {
        Path dataDir = Files.createTempDirectory("burrow-cg-test-");
        EngineConfig config = EngineConfig.defaults(dataDir, KernelCache.cacheDirFromEnvironment());
        Cgroups cgroups = Cgroups.forHost(config.instanceId());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            EngineFixture.killVmms(config.instanceId()); // a failed test may have left some; they outlive the JVM by design
            cgroups.reapExcept(Set.of());
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(config.runDir());
        }));
        QemuHypervisor engine = QemuHypervisor.start(config);
        Path rootfs = BusyboxRootfs.build(dataDir.resolve("image"), diskMiB);
        MicroVm builder = engine.boot("template-builder", machine, rootfs, Identity.fresh("template"));
        EngineFixture.warmUp(builder);
        Template t = engine.snapshot(builder, dataDir.resolve("templates").resolve("busybox"));
        int tbSizeMiB = engine.accelerator() == Accelerator.TCG ? config.tbSizeMiB() : 0; // as the engine's own
        return new CgroupedEngine(engine, t, cgroups, cgroups.limits(machine, tbSizeMiB), diskMiB);
    }

    /** A fresh microVM id. */
    public static String newId(String prefix) {
        return prefix + COUNTER.incrementAndGet() + "x" + Long.toString(System.nanoTime() % 100000, 36);
    }

    /** {@code vmId}'s cgroup with the engine's limits, made ahead of its VMM (the engine's own create finds it). */
    public VmCgroup cgroupFor(String vmId) throws VmmException {
        return cgroups.create(vmId, limits);
    }

    /** A microVM restored from the template, its VMM inside {@code cgroupFor(vmId)}. */
    public MicroVm restore(String vmId) throws Exception {
        return engine.restore(template, vmId, Identity.fresh(vmId));
    }
}
