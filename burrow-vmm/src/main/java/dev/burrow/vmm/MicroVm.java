package dev.burrow.vmm;

import dev.burrow.vmm.agent.AgentConnection;
import java.nio.file.Path;

/** A running VMM and its agent channel. Closing it destroys the VMM and every file it had. */
public interface MicroVm extends AutoCloseable {

    String id();

    MachineSpec machine();

    /** The agent channel; ready for streams (HELLO acknowledged). */
    AgentConnection agent();

    /** Host pid of the VMM process. */
    long pid();

    boolean isAlive();

    /** How this microVM came to run (a standby claimed, a warm VMM, or a restore from nothing). */
    default StartPath startPath() {
        return StartPath.COLD;
    }

    /** This microVM's own files (overlay disk, console log, VMM output). */
    Path dir();

    /**
     * Lets go of the VMM without ending it, as a daemon that stops leaves it: the agent channel and
     * the control socket close, the process and its files stay for the next daemon to adopt.
     */
    void detach();

    /** Kills the VMM and removes its files and sockets. Idempotent. */
    @Override
    void close() throws VmmException;
}
