package dev.burrow.daemon.microvms.files;

import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * One builtin running in a microVM: its exec stream and the microVM use it holds (activity
 * until {@link #close}). The seam tests script.
 */
public interface BuiltinRun extends AutoCloseable {

    /** The next event, or null when none came within {@code timeout}. */
    ExecEvent next(Duration timeout) throws InterruptedException;

    void writeStdin(byte[] data, int off, int len, Duration timeout) throws AgentException;

    void closeStdin() throws AgentException;

    /** Kills the builtin (an unfinished write is then never renamed into place). */
    void kill();

    /** Releases the microVM use. */
    @Override
    void close();

    /** Starts {@code argv} (argv[0] names the builtin) in the tenant's microVM. */
    @FunctionalInterface
    interface Launcher {
        BuiltinRun start(String tenantId, String id, List<String> argv, boolean stdin, String requestId) throws IOException;
    }
}
