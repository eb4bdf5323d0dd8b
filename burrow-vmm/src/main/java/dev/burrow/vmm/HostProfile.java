package dev.burrow.vmm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Everything a template snapshot depends on besides its own files. {@code machine} is the machine
 * options the template was made with: a restore starts its VMM with those, not with today's.
 */
public record HostProfile(String vmm, String vmmVersion, String machine, String cpuModel,
                          Accelerator accelerator, String kernel, int agentProtocol) {

    /**
     * How a template made under {@code made} differs from one made here now, or an empty list: a
     * template that differs is not reused for a new image version, though it may still restore
     * (see {@link #restoreMismatches}).
     */
    public List<String> mismatches(HostProfile made) {
        List<String> out = restoreMismatches(made, options -> true);
        diff(out, "machine options", made.machine, machine);
        return out;
    }

    /**
     * Why a template made under {@code made} cannot be restored here, or an empty list: everything
     * must match but the machine options, which need only be ones this host still starts
     * ({@code startable}), since the restore uses the template's own.
     */
    public List<String> restoreMismatches(HostProfile made, Predicate<String> startable) {
        List<String> out = new ArrayList<>();
        diff(out, "VMM", made.vmm, vmm);
        diff(out, "VMM version", made.vmmVersion, vmmVersion);
        if (!startable.test(made.machine)) {
            out.add("machine options were " + made.machine + ", which this host no longer starts (it has " + machine + ")");
        }
        diff(out, "CPU model", made.cpuModel, cpuModel);
        diff(out, "accelerator", made.accelerator.name(), accelerator.name());
        diff(out, "guest kernel", made.kernel, kernel);
        diff(out, "agent protocol", String.valueOf(made.agentProtocol), String.valueOf(agentProtocol));
        return out;
    }

    /** This profile with other machine options: what a template records of a VMM started with {@code options}. */
    public HostProfile withMachine(String options) {
        return new HostProfile(vmm, vmmVersion, options, cpuModel, accelerator, kernel, agentProtocol);
    }

    private static void diff(List<String> out, String what, String then, String now) {
        if (!then.equals(now)) {
            out.add(what + " was " + then + ", this host has " + now);
        }
    }
}
