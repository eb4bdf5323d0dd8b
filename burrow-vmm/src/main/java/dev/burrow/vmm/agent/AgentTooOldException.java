package dev.burrow.vmm.agent;

/**
 * The agent in this microVM predates what was asked of it (a terminal or builtin exec needs agent
 * 0.4.0): the image version was built with an older agent and needs a rebuild. burrowd answers 409.
 */
public final class AgentTooOldException extends AgentException {
    public AgentTooOldException(String message) {
        super(message);
    }
}
