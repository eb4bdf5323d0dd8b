package dev.burrow.vmm.agent;

/**
 * The guest broke the agent protocol. {@link #fatal()} ones (an unknown version, an oversized
 * frame, too many corrupt frames) end the channel; the rest end one stream.
 */
public final class AgentProtocolException extends Exception {

    private final boolean fatal;

    public AgentProtocolException(String message, boolean fatal) {
        super(message);
        this.fatal = fatal;
    }

    public boolean fatal() {
        return fatal;
    }
}
