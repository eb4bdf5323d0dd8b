package dev.burrow.daemon.api;

import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.vmm.agent.AgentTooOldException;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * Terminals from the microVMs' guest agents: a PTY exec opened through the lifecycle's
 * data-plane use (auto-resume, 409 naming /resume), which is let go at once — an open terminal
 * is activity only while it has traffic (SPEC §1), which {@link #touch} reports.
 */
final class MicroVmPtys implements Pty.Backend {

    private final MicroVmService microvms;

    MicroVmPtys(MicroVmService microvms) {
        this.microvms = microvms;
    }

    @Override
    public Pty open(String tenantId, String microVmId, Pty.Request r, String requestId) throws IOException {
        ExecRequest req = new ExecRequest(r.cmd(), Map.of(), r.cwd(), r.user(), true, false, null, false).withPty(r.cols(), r.rows());
        MicroVmService.Exec exec;
        try {
            exec = microvms.exec(tenantId, microVmId, req, requestId);
        } catch (AgentTooOldException e) {
            throw new ConflictException("this microVM's image version was built with an older guest agent, which has no terminals: "
                    + "rebuild the image version (" + e.getMessage() + ")");
        }
        exec.close();
        return new AgentPty(exec.session());
    }

    @Override
    public void touch(String microVmId) {
        microvms.touch(microVmId);
    }

    @Override
    public boolean suspended(String tenantId, String microVmId) {
        try {
            MicroVmState s = MicroVmState.valueOf(microvms.get(tenantId, microVmId).state());
            return s == MicroVmState.SUSPENDING || s == MicroVmState.SUSPENDED;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** A PTY exec seen as a {@link Pty}. */
    private record AgentPty(ExecSession session) implements Pty {

        @Override
        public ExecEvent next(Duration timeout) throws InterruptedException {
            return session.next(timeout);
        }

        @Override
        public void write(byte[] data, Duration timeout) throws IOException {
            session.writeStdin(data, 0, data.length, timeout);
        }

        @Override
        public void resize(int cols, int rows) throws IOException {
            session.resize(cols, rows);
        }

        @Override
        public void signal(int signal) throws IOException {
            session.signal(signal);
        }

        @Override
        public void kill() {
            session.kill();
        }
    }
}
