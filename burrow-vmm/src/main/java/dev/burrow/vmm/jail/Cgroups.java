package dev.burrow.vmm.jail;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.jail.internal.CgroupFiles;
import dev.burrow.vmm.jail.internal.Hierarchy;
import dev.burrow.vmm.jail.internal.Hierarchy.Version;
import dev.burrow.vmm.jail.internal.MountedHierarchies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroups of one engine instance's microVMs. In every hierarchy that carries one of
 * {@link #CONTROLLERS} (cgroup v1: one per controller mount; v2: the unified tree) there is a
 * {@code burrow-<instanceId>/} directory beneath the cgroup burrowd itself runs in, and one child
 * per microVM, {@code <vmId>}, holding its limits. Processes never move out of the tree burrowd
 * started in: each jailed VMM joins its own cgroup by writing "0" into {@link VmCgroup#procsFiles()}.
 *
 * <p>On v2 the no-internal-process rule applies: children with controllers need a parent
 * without processes. When burrowd is the only process of its cgroup it moves itself into the leaf
 * {@code burrowd-<instanceId>/} first; when others share it, or the controllers were not delegated
 * to it, this fails naming {@code Delegate=yes}.
 *
 * <p>Everything is idempotent: a directory a crash left is reused by {@link #create} or removed
 * by {@link #reapExcept}.
 */
public final class Cgroups {

    private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
    /** The controllers every microVM's cgroup limits. */
    public static final List<String> CONTROLLERS = List.of("cpu", "memory", "pids");
    /** The directory of an instance's microVMs is this prefix and the instance id. */
    public static final String INSTANCE_PREFIX = "burrow-";
    /** v2: the leaf burrowd moves itself into, beside its instance's directory. */
    public static final String DAEMON_LEAF_PREFIX = "burrowd-";
    /** The TCG translation cache {@link #limits(MachineSpec)} assumes (EngineConfig's default). */
    public static final int DEFAULT_TB_SIZE_MIB = 64;
    /**
     * The instance's directory weighs as much as this many ordinary tasks per host CPU: without
     * it (the default, one task's weight) all of an instance's VMMs together compete like one
     * process against the rest of the host (docs/adr/0018-cgroups-and-abuse.md, bench-abuse).
     */
    public static final long INSTANCE_TASKS_PER_HOST_CPU = 1;
    private static final Pattern VM_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final Pattern INSTANCE_ID = Pattern.compile("[a-z0-9]{4,16}");

    private final List<Hierarchy> hierarchies;
    private final String instanceId;
    private final long selfPid;
    private final long instanceShares;

    private Cgroups(List<Hierarchy> hierarchies, String instanceId, long selfPid, long instanceShares) {
        this.hierarchies = hierarchies;
        this.instanceId = instanceId;
        this.selfPid = selfPid;
        this.instanceShares = instanceShares;
    }

    /** This host's cgroups for {@code instanceId}, beneath the cgroups this process runs in. */
    public static Cgroups forHost(String instanceId) throws VmmException {
        return at(Path.of("/"), Path.of("/proc/self/cgroup"), Path.of("/proc/self/mountinfo"), instanceId);
    }

    /** As {@link #forHost}, with mount points resolved beneath {@code sysfsRoot} (tests give a fake tree). */
    static Cgroups at(Path sysfsRoot, Path procSelfCgroup, Path mountinfo, String instanceId) throws VmmException {
        return at(sysfsRoot, procSelfCgroup, mountinfo, instanceId, ProcessHandle.current().pid());
    }

    static Cgroups at(Path sysfsRoot, Path procSelfCgroup, Path mountinfo, String instanceId, long selfPid) throws VmmException {
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("instanceId must match " + INSTANCE_ID + ": " + instanceId);
        }
        List<Hierarchy> found = MountedHierarchies.read(sysfsRoot, procSelfCgroup, mountinfo, CONTROLLERS,
                DAEMON_LEAF_PREFIX + instanceId);
        for (Hierarchy h : found) {
            if (h.version() == Version.V2) {
                checkDelegated(h, selfPid);
            }
        }
        long shares = Math.min(CgroupLimits.MAX_SHARES,
                Runtime.getRuntime().availableProcessors() * INSTANCE_TASKS_PER_HOST_CPU * CgroupLimits.SHARES_PER_VCPU);
        return new Cgroups(found, instanceId, selfPid, shares);
    }

    /** The limits for a VMM of {@code m} with the default translation cache ({@link CgroupLimits#forMachine}). */
    public CgroupLimits limits(MachineSpec m) {
        return CgroupLimits.forMachine(m, DEFAULT_TB_SIZE_MIB);
    }

    /** The limits for a VMM of {@code m} with a TCG translation cache of {@code tbSizeMiB} (0 under KVM). */
    public CgroupLimits limits(MachineSpec m, int tbSizeMiB) {
        return CgroupLimits.forMachine(m, tbSizeMiB);
    }

    /** The hierarchies in use, each with the controllers it carries here. */
    public List<String> describe() {
        return hierarchies.stream().map(h -> h.version() + " " + String.join(",", h.controllers()) + " at " + h.base()).toList();
    }

    /** Makes (or reuses) the cgroup of {@code vmId} and writes {@code limits} into it. */
    public VmCgroup create(String vmId, CgroupLimits limits) throws VmmException {
        checkVmId(vmId);
        Map<Hierarchy, Path> dirs = new LinkedHashMap<>();
        for (Hierarchy h : hierarchies) {
            Path instance = instanceDir(h);
            if (h.version() == Version.V2) {
                delegate(h, instance);
            } else {
                CgroupFiles.mkdir(instance);
            }
            if (h.controllers().contains("cpu")) {
                writeShares(h, instance, instanceShares);
            }
            Path dir = instance.resolve(vmId);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new VmmException("cannot create the cgroup " + dir + ": " + e.getMessage(), e);
            }
            writeLimits(h, dir, limits);
            dirs.put(h, dir);
        }
        return new VmCgroup(vmId, dirs);
    }

    /** The cgroup of {@code vmId} when it exists in every hierarchy (a running or crashed VMM's). */
    public Optional<VmCgroup> existing(String vmId) {
        checkVmId(vmId);
        Map<Hierarchy, Path> dirs = new LinkedHashMap<>();
        for (Hierarchy h : hierarchies) {
            Path dir = instanceDir(h).resolve(vmId);
            if (!Files.isDirectory(dir)) {
                return Optional.empty();
            }
            dirs.put(h, dir);
        }
        return Optional.of(new VmCgroup(vmId, dirs));
    }

    /**
     * Removes this instance's microVM cgroups whose id is not in {@code liveVmIds}, and the
     * instance's directory once it is empty. A cgroup that still holds a process stays (logged).
     */
    public void reapExcept(Set<String> liveVmIds) {
        for (Hierarchy h : hierarchies) {
            Path instance = instanceDir(h);
            List<Path> children = new ArrayList<>();
            try (Stream<Path> s = Files.list(instance)) {
                s.filter(Files::isDirectory).forEach(children::add);
            } catch (IOException e) {
                continue; // no instance directory: nothing of ours here
            }
            boolean empty = true;
            for (Path child : children) {
                if (liveVmIds.contains(child.getFileName().toString())) {
                    empty = false;
                    continue;
                }
                try {
                    CgroupFiles.rmdir(child);
                } catch (IOException e) {
                    empty = false;
                    LOG.warn("could not remove the cgroup {}: {}", child, e.toString());
                }
            }
            if (empty) {
                try {
                    CgroupFiles.rmdir(instance);
                } catch (IOException e) {
                    LOG.debug("could not remove {}: {}", instance, e.toString());
                }
            }
        }
    }

    private Path instanceDir(Hierarchy h) {
        return h.base().resolve(INSTANCE_PREFIX + instanceId);
    }

    private static void checkVmId(String vmId) {
        if (!VM_ID.matcher(vmId).matches()) {
            throw new IllegalArgumentException("vmId must be a DNS label of at most 40 chars: " + vmId);
        }
    }

    /** The instance directory's CPU weight against the other cgroups and tasks beside it. */
    public long instanceShares() {
        return instanceShares;
    }

    private static void writeShares(Hierarchy h, Path dir, long shares) throws VmmException {
        if (h.version() == Version.V1) {
            CgroupFiles.write(dir.resolve("cpu.shares"), Long.toString(shares));
        } else {
            CgroupFiles.write(dir.resolve("cpu.weight"), Long.toString(CgroupLimits.cpuWeight(shares)));
        }
    }

    private static void writeLimits(Hierarchy h, Path dir, CgroupLimits l) throws VmmException {
        Set<String> c = h.controllers();
        if (c.contains("cpu")) {
            writeShares(h, dir, l.cpuShares());
        }
        if (h.version() == Version.V1) {
            if (c.contains("cpu")) {
                CgroupFiles.write(dir.resolve("cpu.cfs_period_us"), Long.toString(l.cpuPeriodMicros()));
                CgroupFiles.write(dir.resolve("cpu.cfs_quota_us"), Long.toString(l.cpuQuotaMicros()));
            }
            if (c.contains("memory")) {
                CgroupFiles.write(dir.resolve("memory.limit_in_bytes"), Long.toString(l.memoryBytes()));
            }
            if (c.contains("pids")) {
                CgroupFiles.write(dir.resolve("pids.max"), Long.toString(l.pidsMax()));
            }
        } else {
            if (c.contains("cpu")) {
                CgroupFiles.write(dir.resolve("cpu.max"), l.cpuQuotaMicros() + " " + l.cpuPeriodMicros());
            }
            if (c.contains("memory")) {
                CgroupFiles.write(dir.resolve("memory.max"), Long.toString(l.memoryBytes()));
            }
            if (c.contains("pids")) {
                CgroupFiles.write(dir.resolve("pids.max"), Long.toString(l.pidsMax()));
            }
        }
    }

    /**
     * v2, read only: the controllers must reach burrowd's cgroup, and children of it must be
     * possible — it already hands them down, or it holds no process but (at most) burrowd.
     */
    private static void checkDelegated(Hierarchy h, long selfPid) throws VmmException {
        Set<String> available = CgroupFiles.words(h.base().resolve("cgroup.controllers"));
        List<String> missing = h.controllers().stream().filter(c -> !available.contains(c)).toList();
        if (!missing.isEmpty()) {
            throw new VmmException("the cgroup v2 controllers " + missing + " are not delegated to burrowd's cgroup " + h.base()
                    + "; run burrowd in a delegated subtree (systemd: Delegate=yes in its unit)");
        }
        if (h.isRoot() || CgroupFiles.words(h.base().resolve("cgroup.subtree_control")).containsAll(h.controllers())) {
            return;
        }
        List<Long> others = CgroupFiles.pids(h.base().resolve("cgroup.procs")).stream().filter(p -> p != selfPid).toList();
        if (!others.isEmpty()) {
            throw new VmmException("burrowd's cgroup " + h.base() + " also holds the processes " + others
                    + ", so it cannot have child cgroups with controllers (cgroup v2 allows no internal processes); "
                    + "run burrowd in its own delegated cgroup (systemd: Delegate=yes in its unit)");
        }
    }

    /** v2: burrowd into its leaf when it is in the base itself, then the controllers handed down to the instance's children. */
    private void delegate(Hierarchy h, Path instance) throws VmmException {
        String wanted = String.join(" ", h.controllers().stream().map(c -> "+" + c).toList());
        if (!h.isRoot() && !CgroupFiles.words(h.base().resolve("cgroup.subtree_control")).containsAll(h.controllers())) {
            if (CgroupFiles.pids(h.base().resolve("cgroup.procs")).contains(selfPid)) {
                Path leaf = h.base().resolve(DAEMON_LEAF_PREFIX + instanceId);
                CgroupFiles.mkdir(leaf);
                CgroupFiles.write(leaf.resolve("cgroup.procs"), Long.toString(selfPid));
                LOG.info("moved burrowd into the cgroup {} (cgroup v2 allows no processes beside child cgroups)", leaf);
            }
            CgroupFiles.write(h.base().resolve("cgroup.subtree_control"), wanted);
        }
        CgroupFiles.mkdir(instance);
        if (!CgroupFiles.words(instance.resolve("cgroup.subtree_control")).containsAll(h.controllers())) {
            CgroupFiles.write(instance.resolve("cgroup.subtree_control"), wanted);
        }
    }
}
