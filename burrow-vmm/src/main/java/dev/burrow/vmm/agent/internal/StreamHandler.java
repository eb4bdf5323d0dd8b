package dev.burrow.vmm.agent.internal;

/** The host end of one multiplexed stream; {@link #onFrame} runs on the reader thread and must not block. */
public interface StreamHandler {

    void onFrame(Frame frame);

    /** The channel is gone; release waiters with this reason. */
    void onChannelClosed(String reason);
}
