package dev.burrow.vmm.agent;

import java.io.IOException;

/** The agent channel failed or timed out; the message says which and what was waited for. */
public class AgentException extends IOException {
    public AgentException(String message) {
        super(message);
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
