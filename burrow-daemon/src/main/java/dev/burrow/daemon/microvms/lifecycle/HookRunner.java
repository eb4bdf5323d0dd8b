package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.vmm.MicroVm;
import java.time.Duration;

/** Calls a lifecycle hook inside a running guest (SPEC §1): the real one tunnels through the agent. */
public interface HookRunner {

    /** What the hook answered: {@code ok} for HTTP 200; {@code detail} says what went wrong otherwise. */
    record Outcome(boolean ok, String detail) {}

    Outcome call(MicroVm vm, int port, String hook, byte[] payload, Duration timeout) throws InterruptedException;
}
