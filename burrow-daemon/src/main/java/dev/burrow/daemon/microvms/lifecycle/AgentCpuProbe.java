package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.GuestCpu;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest CPU from the agent's STATS (docs/PROTOCOL.md): the busy fraction of one vCPU, the agent
 * itself left out, between this sample and the previous one of the same VMM. Whether an agent
 * answers STATS is a matter of its version (0.3.0 and later), not of one answer: under load a
 * STATS may time out, and that sample is simply missing (the previous one stays the window's
 * start). An older agent is never asked; its microVM's idleness rests on the other activity
 * signals.
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
        AgentConnection agent = vm.agent();
        if (before == UNSUPPORTED || agent == null) {
            return OptionalDouble.empty();
        }
        Optional<Boolean> reports = agent.reportsGuestCpu();
        if (reports.isEmpty()) {
            return OptionalDouble.empty(); // no HELLO yet: ask at the next sample
        }
        if (!reports.get()) {
            LOG.info("{}: its agent {} does not report guest CPU (0.3.0 and later do); only exec and other activity count "
                    + "for its idle policy", vm.id(), agent.agentVersion());
            synchronized (last) {
                last.put(vm, UNSUPPORTED);
            }
            return OptionalDouble.empty();
        }
        GuestCpu now;
        try {
            now = agent.stats(TIMEOUT);
        } catch (AgentException e) {
            LOG.debug("{}: no guest CPU sample this time: {}", vm.id(), e.getMessage());
            return OptionalDouble.empty();
        }
        synchronized (last) {
            last.put(vm, now);
        }
        return before == null ? OptionalDouble.empty() : GuestCpu.busyFraction(before, now);
    }
}
