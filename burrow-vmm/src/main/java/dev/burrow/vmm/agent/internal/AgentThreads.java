package dev.burrow.vmm.agent.internal;

/**
 * The channel's reader and writer are platform threads: virtual threads are not time-sliced,
 * so a guest flooding the channel would otherwise pin a carrier and stall every other virtual
 * thread (the API's included). Daemon threads with a small stack: there are two per microVM.
 */
public final class AgentThreads {

    /** Enough for decoding and dispatch; nothing on these threads recurses. */
    public static final long STACK_BYTES = 256 * 1024;

    private AgentThreads() {}

    public static Thread start(String name, Runnable body) {
        return Thread.ofPlatform().name(name).daemon().stackSize(STACK_BYTES).start(body);
    }
}
