package dev.burrow.vmm.qemu;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.jail.VmCgroup;
import dev.burrow.vmm.net.VethPath;
import dev.burrow.vmm.qemu.internal.Qmp;
import dev.burrow.vmm.qemu.internal.VmmProcess;
import dev.burrow.vmm.internal.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A QEMU microvm process, its sockets and files. */
final class QemuMicroVm implements MicroVm {

    private static final Logger LOG = LoggerFactory.getLogger(QemuMicroVm.class);

    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final String id;
    private final MachineSpec machine;
    private final VmmProcess process;
    private final Path dir;
    private final Path socketDir;
    private final AgentConnection agent;
    private final boolean ownMemory;
    private Qmp qmp;
    /** The template whose memory file this microVM maps privately, when it does (what suspend writes a delta against). */
    private volatile Template template;
    /** The saved state this stopped VMM is a cache of (the memory tier), or null while it runs. */
    private Template kept;
    /** What happens to the kept saved state once the VMM is gone (closing a kept microVM demotes it to the disk tier). */
    private Consumer<Template> onDemoted;
    private boolean closed;
    /** Its network path (the benchmark's), or null: removed when the VMM ends. */
    private volatile VethPath network;
    private volatile VmCgroup cgroup;
    private volatile StartPath startPath = StartPath.COLD;

    QemuMicroVm(String id, MachineSpec machine, VmmProcess process, Path dir, Path socketDir, AgentConnection agent, boolean ownMemory) {
        this.ownMemory = ownMemory;
        this.id = id;
        this.machine = machine;
        this.process = process;
        this.dir = dir;
        this.socketDir = socketDir;
        this.agent = agent;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public MachineSpec machine() {
        return machine;
    }

    @Override
    public AgentConnection agent() {
        return agent;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public StartPath startPath() {
        return startPath;
    }

    void startPath(StartPath path) {
        this.startPath = path;
    }

    @Override
    public Path dir() {
        return dir;
    }

    /** True when guest RAM is this microVM's own shared file ({@code dir/memory}), false when it is a private mapping. */
    boolean ownMemory() {
        return ownMemory;
    }

    void template(Template t) {
        this.template = t;
    }

    Template template() {
        return template;
    }

    /** Marks the VMM as kept, stopped, for saved state {@code t}; {@code demoted} runs on {@code t} after a close. */
    synchronized void keep(Template t, Consumer<Template> demoted) {
        this.kept = t;
        this.onDemoted = demoted;
    }

    /** The saved state this VMM is kept for, or null when it is not kept. */
    synchronized Template kept() {
        return kept;
    }

    synchronized void running() {
        this.kept = null;
        this.onDemoted = null;
    }

    void network(VethPath path) {
        this.network = path;
    }

    /** The cgroup its jailed VMM runs in (null: not jailed); removed once the VMM is gone. */
    void cgroup(VmCgroup c) {
        this.cgroup = c;
    }

    /** Removes a cgroup whose VMM was ended; what stays (a process still leaving) is logged, never thrown. */
    static void removeQuietly(VmCgroup c) {
        try {
            c.remove();
        } catch (VmmException e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    VethPath network() {
        return network;
    }

    Path socketDir() {
        return socketDir;
    }

    VmmProcess process() {
        return process;
    }

    /** QMP, connected on first use: the restore path does not need it. */
    synchronized Qmp qmp() throws VmmException {
        if (qmp == null) {
            try {
                qmp = Qmp.open(UnixSockets.connect(socketDir.resolve("qmp.sock"), Duration.ofSeconds(5), process::isAlive),
                        id, Duration.ofSeconds(5));
            } catch (IOException e) {
                throw new VmmException("could not reach QMP of " + id + ": " + e.getMessage(), e);
            }
        }
        return qmp;
    }

    /**
     * Kills the VMM and removes its running files. A kept microVM's saved state stays whole: this
     * is its demotion to the disk tier, and the save is folded once no VMM holds its disk.
     */
    @Override
    public synchronized void close() throws VmmException {
        if (closed) {
            return;
        }
        closed = true;
        Template demoted = kept;
        Consumer<Template> then = onDemoted;
        try {
            end();
        } finally {
            if (demoted != null && then != null && !process.isAlive()) {
                then.accept(demoted);
            }
        }
    }

    /** Lets go of the VMM without ending it (what a daemon that dies leaves behind): agent and QMP closed, process and files kept. */
    @Override
    public synchronized void detach() {
        agent.close();
        if (qmp != null) {
            qmp.close();
        }
    }

    private void end() throws VmmException {
        agent.close();
        if (qmp != null) {
            qmp.close();
        }
        try {
            process.kill(KILL_TIMEOUT);
        } finally {
            FileTrees.deleteQuietly(socketDir);
            FileTrees.deleteQuietly(QemuHypervisor.jailRoot(socketDir.getParent(), id));
            FileTrees.deleteQuietly(dir);
            if (cgroup != null) {
                removeQuietly(cgroup);
            }
            if (network != null) {
                network.close(); // after the kill: the namespace goes once nothing runs in it
            }
        }
    }
}
