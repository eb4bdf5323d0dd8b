package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.GuestCpu;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest CPU from the agent's STATS (docs/PROTOCOL.md): the busy fraction of one vCPU, the agent
 * itself left out, between this sample and the previous one of the same VMM. An agent that does
 * not answer (one from an image built before STATS existed) is not asked again: its microVM's
 * idleness then rests on the other activity signals.
 */
public final class AgentCpuProbe implements CpuProbe {

    private static final Logger LOG = LoggerFactory.getLogger(AgentCpuProbe.class);
    /** Well under the one-second sampling period, so samples never stack up against the agent's cap. */
    static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final GuestCpu UNSUPPORTED = new GuestCpu(0, 0, 0, 1, 1);

    /** Keyed by the VMM handle: a new VMM (a disk-tier resume) starts a new window. */
    private final Map<MicroVm, GuestCpu> last = new WeakHashMap<>();

    @Override
    public OptionalDouble sample(MicroVm vm) {
        GuestCpu before;
        synchronized (last) {
            before = last.get(vm);
        }
        if (before == UNSUPPORTED || vm.agent() == null) {
            return OptionalDouble.empty();
        }
        GuestCpu now;
        try {
            now = vm.agent().stats(TIMEOUT);
        } catch (AgentException e) {
            if (e.getMessage() != null && e.getMessage().contains("already waiting")) {
                return OptionalDouble.empty();
            }
            LOG.info("{}: its agent does not report guest CPU ({}); only exec and other activity count for its idle policy",
                    vm.id(), e.getMessage());
            synchronized (last) {
                last.put(vm, UNSUPPORTED);
            }
            return OptionalDouble.empty();
        }
        synchronized (last) {
            last.put(vm, now);
        }
        return before == null ? OptionalDouble.empty() : GuestCpu.busyFraction(before, now);
    }
}
