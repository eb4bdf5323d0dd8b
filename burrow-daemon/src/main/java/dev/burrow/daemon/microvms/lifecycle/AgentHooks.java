package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.daemon.images.HookCaller;
import dev.burrow.vmm.MicroVm;
import java.time.Duration;

/** Lifecycle hooks over an agent TCP tunnel to the hooks port (nothing on the host network). */
public final class AgentHooks implements HookRunner {

    @Override
    public Outcome call(MicroVm vm, int port, String hook, byte[] payload, Duration timeout) throws InterruptedException {
        HookCaller.Outcome o = HookCaller.call(vm.agent(), port, hook, payload, timeout, false);
        return new Outcome(o.ok(), o.describe());
    }
}
