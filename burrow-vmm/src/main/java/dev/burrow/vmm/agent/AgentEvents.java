package dev.burrow.vmm.agent;

/** Things the agent channel reports as they happen. Called on the channel's reader thread: return quickly. */
public interface AgentEvents {

    /** A skipped run of garbage or a frame with a bad checksum; the channel resynchronised. */
    default void corrupt(String what) {}

    default void entrypointExited(int exitCode, int signal) {}

    default void log(String line) {}

    /** The channel ended; {@code violation} when the guest broke the protocol beyond repair. */
    default void closed(String reason, boolean violation) {}

    AgentEvents NONE = new AgentEvents() {};
}
