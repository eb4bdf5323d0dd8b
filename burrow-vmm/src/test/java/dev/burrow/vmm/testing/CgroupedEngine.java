package dev.burrow.vmm.testing;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * An engine whose VMMs start inside their own cgroup, as they will once burrow-jailer's
 * {@code --cgroup} is wired: QEMU is started through a wrapper that writes "0" into the microVM's
 * cgroup.procs files (listed by the test beforehand) and then execs it, so QEMU's every page and
 * thread is charged there from its first instruction. One template of the given machine and disk
 * size per JVM and shape; removed, VMMs and cgroups included, when the JVM exits.
 */
public final class CgroupedEngine {

    private static final Map<String, CgroupedEngine> SHARED = new HashMap<>();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final QemuHypervisor engine;
    public final Template template;
    public final Cgroups cgroups;
    public final CgroupLimits limits;
    public final int diskMiB;
    private final Path joinLists;

    private CgroupedEngine(QemuHypervisor engine, Template template, Cgroups cgroups, CgroupLimits limits, int diskMiB, Path joinLists) {
        this.engine = engine;
        this.template = template;
        this.cgroups = cgroups;
        this.limits = limits;
        this.diskMiB = diskMiB;
        this.joinLists = joinLists;
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
        Path joinLists = Files.createDirectories(dataDir.resolve("cgroup-joins"));
        Path wrapper = writeWrapper(dataDir.resolve("qemu-in-cgroup"), joinLists, qemuOnPath());
        EngineConfig config = EngineConfig.defaults(dataDir, KernelCache.cacheDirFromEnvironment()).withQemuBinary(wrapper.toString());
        Cgroups cgroups = Cgroups.forHost(config.instanceId());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            killVmms(config.instanceId()); // a failed test may have left some; they outlive the JVM by design
            cgroups.reapExcept(Set.of());
            FileTrees.deleteQuietly(dataDir);
            FileTrees.deleteQuietly(config.runDir());
        }));
        QemuHypervisor engine = QemuHypervisor.start(config);
        Path rootfs = BusyboxRootfs.build(dataDir.resolve("image"), diskMiB);
        MicroVm builder = engine.boot("template-builder", machine, rootfs, Identity.fresh("template"));
        EngineFixture.warmUp(builder);
        Template t = engine.snapshot(builder, dataDir.resolve("templates").resolve("busybox"));
        return new CgroupedEngine(engine, t, cgroups, cgroups.limits(machine, config.tbSizeMiB()), diskMiB, joinLists);
    }

    /** SIGKILLs this instance's VMMs and waits until they are gone, so their cgroups can go too. */
    private static void killVmms(String instanceId) {
        List<ProcessHandle> vmms = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("-name " + instanceId + "/")).orElse(false)).toList();
        vmms.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : vmms) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by the cgroup that cannot go
            }
        }
    }

    /** A fresh microVM id. */
    public static String newId(String prefix) {
        return prefix + COUNTER.incrementAndGet() + "x" + Long.toString(System.nanoTime() % 100000, 36);
    }

    /** Makes {@code vmId}'s cgroup with the engine's limits and has its VMM start inside it. */
    public VmCgroup cgroupFor(String vmId) throws VmmException, IOException {
        VmCgroup cg = cgroups.create(vmId, limits);
        Files.writeString(joinLists.resolve(vmId), cg.procsFiles().stream().map(Path::toString).collect(Collectors.joining("\n", "", "\n")));
        return cg;
    }

    /** A microVM restored from the template, its VMM inside {@code cgroupFor(vmId)}. */
    public MicroVm restore(String vmId) throws Exception {
        return engine.restore(template, vmId, Identity.fresh(vmId));
    }

    private static Path writeWrapper(Path file, Path joinLists, Path qemu) throws IOException {
        Files.writeString(file, """
                #!/bin/sh
                # test stand-in for burrow-jailer --cgroup: join the microVM's cgroups, then become QEMU
                vm=""
                prev=""
                for a in "$@"; do
                  [ "$prev" = "-name" ] && vm="${a#*/}"
                  prev="$a"
                done
                if [ -n "$vm" ] && [ -f "%s/$vm" ]; then
                  while read -r f; do echo 0 > "$f" || exit 97; done < "%s/$vm"
                fi
                exec %s "$@"
                """.formatted(joinLists, joinLists, qemu));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static Path qemuOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "qemu-system-x86_64");
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalStateException("qemu-system-x86_64 is not on PATH");
    }
}
