package dev.burrow.vmm.qemu;

import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.qemu.internal.Qmp;
import dev.burrow.vmm.qemu.internal.VmmProcess;
import dev.burrow.vmm.internal.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** A QEMU microvm process, its sockets and files. */
final class QemuMicroVm implements MicroVm {

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
    private volatile dev.burrow.vmm.Template template;
    private boolean closed;

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
    public Path dir() {
        return dir;
    }

    /** True when guest RAM is this microVM's own shared file ({@code dir/memory}), false when it is a private mapping. */
    boolean ownMemory() {
        return ownMemory;
    }

    void template(dev.burrow.vmm.Template t) {
        this.template = t;
    }

    dev.burrow.vmm.Template template() {
        return template;
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

    @Override
    public synchronized void close() throws VmmException {
        if (closed) {
            return;
        }
        closed = true;
        agent.close();
        if (qmp != null) {
            qmp.close();
        }
        try {
            process.kill(KILL_TIMEOUT);
        } finally {
            FileTrees.deleteQuietly(socketDir);
            FileTrees.deleteQuietly(dir);
        }
    }
}
