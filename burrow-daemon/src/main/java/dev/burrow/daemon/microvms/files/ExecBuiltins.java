package dev.burrow.daemon.microvms.files;

import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.AgentTooOldException;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Builtins as exec streams of {@link MicroVmService#exec}: the microVM is resumed when its policy
 * says so, and the exec's use keeps it busy (activity) until the builtin ends. An agent older
 * than the builtins is a {@link GuestFileException.Kind#UNSUPPORTED} (rebuild the image version).
 */
public final class ExecBuiltins implements BuiltinRun.Launcher {

    private final MicroVmService microvms;

    public ExecBuiltins(MicroVmService microvms) {
        this.microvms = microvms;
    }

    @Override
    public BuiltinRun start(String tenantId, String id, List<String> argv, boolean stdin, String requestId) throws IOException {
        ExecRequest req = new ExecRequest(argv, Map.of(), "", "", stdin, false).asBuiltin();
        MicroVmService.Exec exec;
        try {
            exec = microvms.exec(tenantId, id, req, requestId);
        } catch (AgentTooOldException tooOld) {
            throw new GuestFileException(GuestFileException.Kind.UNSUPPORTED, "this microVM's agent has no file operations: "
                    + tooOld.getMessage());
        }
        return new BuiltinRun() {
            @Override
            public ExecEvent next(Duration timeout) throws InterruptedException {
                return exec.session().next(timeout);
            }

            @Override
            public void writeStdin(byte[] data, int off, int len, Duration timeout) throws AgentException {
                exec.session().writeStdin(data, off, len, timeout);
            }

            @Override
            public void closeStdin() throws AgentException {
                exec.session().closeStdin();
            }

            @Override
            public void kill() {
                exec.session().kill();
            }

            @Override
            public void close() {
                exec.close();
            }
        };
    }
}
