package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentProtocolException;

/** The host end of one multiplexed stream; its methods run on the reader thread and must not block. */
public interface StreamHandler {

    /** @throws AgentProtocolException when the frame breaks the protocol for this stream */
    void onFrame(Frame frame) throws AgentProtocolException;

    /** The guest broke the protocol on this stream: end it with this reason and tell the guest. */
    void onViolation(String reason);

    /** The channel is gone; release waiters with this reason. */
    void onChannelClosed(String reason);

    /** Flow-control credit held by guest data not yet taken by the consumer (bounded by one window). */
    long queuedCredit();
}
