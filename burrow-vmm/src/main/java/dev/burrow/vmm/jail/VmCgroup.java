package dev.burrow.vmm.jail;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.jail.internal.CgroupFiles;
import dev.burrow.vmm.jail.internal.Hierarchy;
import dev.burrow.vmm.jail.internal.Hierarchy.Version;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * One microVM's cgroup: a directory in each hierarchy {@link Cgroups} uses. Its readings are
 * empty where this kernel or hierarchy has no such file.
 */
public final class VmCgroup {

    /** How long {@link #remove} waits for an exited VMM to leave its cgroup (the kernel lets it go when it is reaped). */
    public static final Duration REMOVE_TIMEOUT = Duration.ofSeconds(5);
    private static final long REMOVE_POLL_NANOS = 5_000_000;

    private final String vmId;
    private final Map<Hierarchy, Path> dirs;

    VmCgroup(String vmId, Map<Hierarchy, Path> dirs) {
        this.vmId = vmId;
        this.dirs = Map.copyOf(dirs);
    }

    public String vmId() {
        return vmId;
    }

    /** The cgroup directories, one per hierarchy. */
    public List<Path> dirs() {
        return List.copyOf(dirs.values());
    }

    /** The cgroup.procs files a jailed child writes "0" into (joining them all) before it drops privileges. */
    public List<Path> procsFiles() {
        return dirs.values().stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /**
     * Moves process {@code pid} (all its threads) into this cgroup. VMMs join by themselves,
     * through the jailer; this is for a process started some other way (tests, benchmarks).
     */
    public void place(long pid) throws VmmException {
        for (Path procs : procsFiles()) {
            CgroupFiles.write(procs, Long.toString(pid));
        }
    }

    /** The processes in this cgroup (in any of its hierarchies). */
    public Set<Long> processes() {
        Set<Long> out = new LinkedHashSet<>();
        for (Path procs : procsFiles()) {
            out.addAll(CgroupFiles.pids(procs));
        }
        return out;
    }

    /** The most memory ever charged to it (v1 memory.max_usage_in_bytes, v2 memory.peak). */
    public Optional<Long> memoryPeakBytes() {
        return dir("memory").flatMap(d -> CgroupFiles.readLong(d.v == Version.V1
                ? d.path.resolve("memory.max_usage_in_bytes") : d.path.resolve("memory.peak")));
    }

    /** The memory charged to it now. */
    public Optional<Long> memoryCurrentBytes() {
        return dir("memory").flatMap(d -> CgroupFiles.readLong(d.v == Version.V1
                ? d.path.resolve("memory.usage_in_bytes") : d.path.resolve("memory.current")));
    }

    /** Processes the kernel's OOM killer ended in it (v1 memory.oom_control, v2 memory.events). */
    public Optional<Long> oomKills() {
        return dir("memory").flatMap(d -> CgroupFiles.readKey(d.v == Version.V1
                ? d.path.resolve("memory.oom_control") : d.path.resolve("memory.events"), "oom_kill"));
    }

    /** Tasks (processes and threads) in it now. */
    public Optional<Long> pidsCurrent() {
        return dir("pids").flatMap(d -> CgroupFiles.readLong(d.path.resolve("pids.current")));
    }

    /** Periods in which the CPU quota stopped it. */
    public Optional<Long> cpuThrottledPeriods() {
        return dir("cpu").flatMap(d -> CgroupFiles.readKey(d.path.resolve("cpu.stat"), "nr_throttled"));
    }

    /**
     * Removes the cgroup in every hierarchy (rmdir), after its VMM exited; waits up to
     * {@link #REMOVE_TIMEOUT} for a just-killed VMM to leave it. Idempotent.
     */
    public void remove() throws VmmException {
        long deadline = System.nanoTime() + REMOVE_TIMEOUT.toNanos();
        List<String> failed = new ArrayList<>();
        for (Path dir : dirs.values()) {
            while (true) {
                try {
                    CgroupFiles.rmdir(dir);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        failed.add(dir + " (" + e.getMessage() + ", processes " + CgroupFiles.pids(dir.resolve("cgroup.procs")) + ")");
                        break;
                    }
                    LockSupport.parkNanos(REMOVE_POLL_NANOS);
                }
            }
        }
        if (!failed.isEmpty()) {
            throw new VmmException("the cgroup of " + vmId + " could not be removed: " + String.join("; ", failed));
        }
    }

    private record Dir(Version v, Path path) {}

    private Optional<Dir> dir(String controller) {
        return dirs.entrySet().stream().filter(e -> e.getKey().controllers().contains(controller)).findFirst()
                .map(e -> new Dir(e.getKey().version(), e.getValue()));
    }

    @Override
    public String toString() {
        return "cgroup of " + vmId + " " + dirs.values();
    }
}
