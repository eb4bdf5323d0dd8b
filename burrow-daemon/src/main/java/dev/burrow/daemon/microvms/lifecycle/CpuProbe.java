package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.vmm.MicroVm;
import java.util.OptionalDouble;

/**
 * Guest CPU, agent excluded, as a fraction of one vCPU since the previous sample of the same
 * microVM. Empty when the guest cannot tell (an agent too old to answer): only the other
 * activity signals count then.
 */
public interface CpuProbe {

    CpuProbe NONE = vm -> OptionalDouble.empty();

    OptionalDouble sample(MicroVm vm);
}
