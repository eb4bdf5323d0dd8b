package dev.burrow.vmm.agent;

/** Things the agent channel reports as they happen. Called on the channel's reader thread: return quickly. */
public interface AgentEvents {

    /** A skipped run of garbage, a frame with a bad checksum, or a protocol violation; each counts toward the corruption budget. */
    default void corrupt(String what) {}

    default void entrypointExited(int exitCode, int signal) {}

    /**
     * An agent LOG line, already escaped (no control characters or newlines) and rate-limited;
     * a line saying how many were dropped stands for the rest.
     */
    default void log(String line) {}

    /** The channel ended; {@code violation} when the guest broke the protocol beyond repair. */
    default void closed(String reason, boolean violation) {}

    AgentEvents NONE = new AgentEvents() {};
}
