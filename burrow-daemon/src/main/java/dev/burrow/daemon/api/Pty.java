package dev.burrow.daemon.api;

import dev.burrow.vmm.agent.ExecEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * One terminal in a microVM, as the PTY route drives it: output as {@link ExecEvent}s (taking one
 * returns its flow-control credit to the guest, so output not taken pauses the guest's reads),
 * input, size and signals. {@link Backend} opens them: the guest agent in burrowd, a fake in tests.
 */
interface Pty {

    /** The next event, or null when none came within {@code timeout}; {@link ExecEvent.Exit} or {@link ExecEvent.Failed} is last. */
    ExecEvent next(Duration timeout) throws InterruptedException;

    /** Sends input, waiting at most {@code timeout} for the guest to take it. */
    void write(byte[] data, Duration timeout) throws IOException;

    void resize(int cols, int rows) throws IOException;

    void signal(int signal) throws IOException;

    /** Ends the terminal's process group (the client went away); idempotent. */
    void kill();

    /** What to run and how: {@code cmd} is never empty (the route fills in the login shell). */
    record Request(List<String> cmd, int cols, int rows, String user, String cwd) {}

    /** Where terminals come from, and what the route needs to know about their microVM. */
    interface Backend {

        /** Opens a terminal in a RUNNING microVM (auto-resumed per its policy); 404/409/400 as for exec. */
        Pty open(String tenantId, String microVmId, Request request, String requestId) throws IOException;

        /** Traffic on an open terminal: activity for the idle policy. */
        void touch(String microVmId);

        /** Whether the microVM is suspending or suspended (why its terminal ended). */
        boolean suspended(String tenantId, String microVmId);
    }
}
